import { fcmProvider } from './fcm/fcm-provider';
import { httpProvider } from './http/http-provider';
import { logProvider } from './log/log-provider';
import type { ProviderDefinition } from './provider';
import { scriptProvider } from './script/script-provider';
import { sipgateProvider } from './sipgate/sipgate-provider';
import { smppProvider } from './smpp/smpp-provider';
import { smtpProvider } from './smtp/smtp-provider';
import { twilioProvider } from './twilio/twilio-provider';
import { webhookProvider } from './webhook/webhook-provider';

/** Every vendor the relay knows. Adding one: a folder under providers/, one line here, one test file. */
export const providerDefinitions: readonly ProviderDefinition[] = [
  logProvider,
  httpProvider,
  smppProvider,
  sipgateProvider,
  webhookProvider,
  smtpProvider,
  scriptProvider,
  twilioProvider,
  fcmProvider,
] as unknown as readonly ProviderDefinition[];
