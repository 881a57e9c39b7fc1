import { httpProvider } from './http/http-provider';
import { logProvider } from './log/log-provider';
import { smppProvider } from './smpp/smpp-provider';
import type { ProviderDefinition } from './provider';
import { sipgateProvider } from './sipgate/sipgate-provider';
import { webhookProvider } from './webhook/webhook-provider';
import { smtpProvider } from './smtp/smtp-provider';
import { scriptProvider } from './script/script-provider';

/** Every vendor the relay knows. Adding one: a folder under providers/, one line here, one test file. */
export const providerDefinitions: readonly ProviderDefinition[] = [
  logProvider,
  httpProvider,
  smppProvider,
  sipgateProvider,
  webhookProvider,
  smtpProvider,
  scriptProvider,
] as unknown as readonly ProviderDefinition[];
