import { logProvider } from './log/log-provider';
import type { ProviderDefinition } from './provider';
import { twilioProvider } from './twilio/twilio-provider';

/** Every vendor the relay knows. Adding one: a folder under providers/, one line here, one test file. */
export const providerDefinitions: readonly ProviderDefinition[] = [
  logProvider,
  twilioProvider,
] as unknown as readonly ProviderDefinition[];
