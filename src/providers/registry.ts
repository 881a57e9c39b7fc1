import { logProvider } from './log/log-provider';
import type { ProviderDefinition } from './provider';
import { smtpProvider } from './smtp/smtp-provider';
import { scriptProvider } from './script/script-provider';

/** Every vendor the relay knows. Adding one: a folder under providers/, one line here, one test file. */
export const providerDefinitions: readonly ProviderDefinition[] = [
  logProvider,
  smtpProvider,
  scriptProvider,
] as unknown as readonly ProviderDefinition[];
