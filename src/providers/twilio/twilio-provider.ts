import type { Channel, Message } from '../../message';
import { maskPhone, scrub } from '../../redact';
import { defineProvider, ProviderError } from '../provider';
import { createTwilioSession } from './twilio-client';
import { canCall, twilioConfigSchema, type TwilioConfig } from './twilio-config';
import { fromTransportError, fromVendorAnswer, vendorAnswer, type MappingContext } from './twilio-errors';
import { MAX_TWIML_LENGTH, voiceTwiml } from './twilio-voice';

class Aborted extends Error {}

/**
 * Settles with `p`, or rejects as soon as `signal` aborts. The signal also reaches axios below the SDK (see
 * twilio-client.ts), which tears the HTTP request down; this race is what keeps the deadline even if a later
 * SDK version stops honouring that seam. The abandoned promise keeps a handler, so its late rejection can
 * neither crash the process as unhandled nor surface anywhere with its axios config (Authorization header).
 */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Aborted());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function isCancel(e: unknown): boolean {
  return e instanceof Aborted || (e as { code?: unknown })?.code === 'ERR_CANCELED';
}

export const twilioProvider = defineProvider({
  type: 'twilio',
  channels: ['sms', 'voice'],
  secretKeys: ['authToken', 'apiKeySecret'],
  configSchema: twilioConfigSchema,
  create(raw, { logger }) {
    const config = raw as TwilioConfig;
    const name = config.name;
    const session = createTwilioSession(config);
    const channels: readonly Channel[] = canCall(config) ? ['sms', 'voice'] : ['sms'];
    const secrets = [config.authToken, config.apiKeySecret].filter((s): s is string => !!s);
    let closed = false;

    /** Twilio's messages echo the number ("The 'To' number +1… is not valid"); keep it masked, like every log line. */
    const mapping = (message?: Message): MappingContext => ({
      provider: name,
      clean: (text) => {
        if (!message) return scrub(text, secrets);
        const masked = scrub(text, [...secrets, message.text, ...(message.code ? [message.code] : [])]);
        return masked.split(message.to).join(maskPhone(message.to)).split(message.to.slice(1)).join(maskPhone(message.to).slice(1));
      },
    });

    function failure(e: unknown, signal: AbortSignal, headers: Record<string, unknown> | undefined, message?: Message): ProviderError {
      if (e instanceof ProviderError) return e;
      if (isCancel(e) || (signal.aborted && !vendorAnswer(e, headers))) {
        return new ProviderError(name, 'gave up waiting for Twilio: the deadline passed', { verdict: 'failover', vendorCode: 'aborted' });
      }
      const answer = vendorAnswer(e, headers);
      if (answer) return fromVendorAnswer(answer, mapping(message));
      if ((e as { isAxiosError?: boolean })?.isAxiosError) return fromTransportError(e, mapping(message));
      // The SDK's own argument checks, thrown before any request: a bug or a message it cannot express.
      const text = mapping(message).clean((e as Error)?.message ?? String(e));
      return new ProviderError(name, `the Twilio SDK refused the request: ${text}`, { verdict: 'failover', vendorCode: 'sdk' });
    }

    return {
      name,
      type: 'twilio',
      channels,
      async send(message, ctx) {
        if (closed) throw new ProviderError(name, 'provider is closed', { verdict: 'failover', vendorCode: 'closed' });
        if (!channels.includes(message.channel)) {
          throw new ProviderError(name, 'voice calls need `from` to be a Twilio number in E.164', { verdict: 'failover', vendorCode: 'channel' });
        }
        let twiml: string | undefined;
        if (message.channel === 'voice') {
          twiml = voiceTwiml(message);
          if (twiml.length > MAX_TWIML_LENGTH) {
            throw new ProviderError(name, `the spoken message is longer than Twilio's ${MAX_TWIML_LENGTH} characters of TwiML`, { verdict: 'failover', vendorCode: 'too-long', notSent: true });
          }
        }
        const { result, headers } = session.run<{ sid: string; status: string }>(ctx.signal, (client) =>
          twiml
            ? client.calls.create({ to: message.to, from: config.from!, twiml })
            : client.messages.create({
                to: message.to,
                body: message.text,
                ...(config.messagingServiceSid ? { messagingServiceSid: config.messagingServiceSid } : { from: config.from! }),
                ...(config.statusCallback ? { statusCallback: config.statusCallback } : {}),
                ...(config.validityPeriod ? { validityPeriod: config.validityPeriod } : {}),
              }),
        );
        try {
          const created = await untilAborted(result, ctx.signal);
          logger.info({ to: maskPhone(message.to), channel: message.channel, providerMessageId: created.sid, status: created.status }, 'Twilio accepted the message');
          return { providerMessageId: created.sid };
        } catch (e) {
          const err = failure(e, ctx.signal, headers(), message);
          logger.debug({ to: maskPhone(message.to), verdict: err.verdict, vendorStatus: err.vendorStatus, vendorCode: err.vendorCode }, 'Twilio did not take the message');
          throw err;
        }
      },
      /** Fetches the account: proves the base URL answers and the credentials are accepted, sends nothing. */
      async verify() {
        const signal = AbortSignal.timeout(config.timeoutMs);
        const { result, headers } = session.run(signal, (client) => client.api.v2010.accounts(config.accountSid).fetch());
        try {
          await untilAborted(result, signal);
        } catch (e) {
          throw failure(e, signal, headers());
        }
      },
      async close() {
        closed = true;
        session.close();
      },
    };
  },
});
