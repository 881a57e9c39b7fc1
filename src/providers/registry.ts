import { fcmProvider } from './fcm/fcm-provider';
import { logProvider } from './log/log-provider';
import type { ProviderDefinition } from './provider';

/** Every vendor the relay knows. Adding one: a folder under providers/, one line here, one test file. */
export const providerDefinitions: readonly ProviderDefinition[] = [
  logProvider,
  fcmProvider,
] as unknown as readonly ProviderDefinition[];
