import { httpProvider } from './http/http-provider';
import { logProvider } from './log/log-provider';
import { smppProvider } from './smpp/smpp-provider';
import type { ProviderDefinition } from './provider';

/** Every vendor the relay knows. Adding one: a folder under providers/, one line here, one test file. */
export const providerDefinitions: readonly ProviderDefinition[] = [
  logProvider,
  httpProvider,
  smppProvider,
] as unknown as readonly ProviderDefinition[];
