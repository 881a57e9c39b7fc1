import { maskPhone } from '../../redact';
import { defineProvider } from '../provider';
import { httpCall, keepAliveAgent, messageSensitive } from '../shared/http-call';
import { isLoopbackHost } from '../shared/http-url';
import { readCa } from '../shared/read-ca';
import { fusionAuthBody } from './fusionauth-body';
import { downstreamId, webhookError } from './webhook-answer';
import { webhookConfigSchema } from './webhook-config';

/**
 * Forwards the message, in the body FusionAuth itself would send, to another Generic Messenger receiver with that
 * receiver's own credentials: a second messenger-relay in another network zone, or any FusionAuth-compatible
 * endpoint. Chaining this way keeps each hop's secrets to itself.
 */
export const webhookProvider = defineProvider({
  type: 'webhook',
  channels: ['sms', 'voice'],
  secretKeys: ['auth.basic.password', 'auth.headers'],
  configSchema: webhookConfigSchema,
  create(config, { logger, baseDir }) {
    const url = new URL(config.url);
    const ca = config.ca ? readCa(config.name, config.ca, baseDir) : undefined;
    const basic = config.auth?.basic;
    const authorization = basic && `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`;
    const headerValues = Object.values(config.auth?.headers ?? {});
    const secrets = [...(basic ? [basic.password, authorization!.slice(6)] : []), ...headerValues];
    // Only the origin is ever logged: a query string may carry a key.
    const where = { downstream: url.origin };
    if (!config.checkTls) logger.warn(where, 'checkTls is off: the downstream certificate is not verified');
    if (url.protocol === 'http:' && secrets.length && !isLoopbackHost(url.hostname)) {
      logger.warn(where, 'credentials for the downstream travel over plain http');
    }
    const agent = keepAliveAgent({ checkTls: config.checkTls, ca, connectTimeoutMs: config.timeoutMs });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'messenger-relay',
      ...(authorization ? { authorization } : {}),
      ...config.auth?.headers,
    };
    const accepted = (status: number) => (config.successStatus ? config.successStatus.includes(status) : status >= 200 && status < 300);
    let closing: Promise<void> | undefined;

    return {
      name: config.name,
      type: 'webhook',
      channels: ['sms', 'voice'],
      async send(message, ctx) {
        const who = { provider: config.name, vendor: 'the downstream receiver', sensitive: [...secrets, ...messageSensitive(message)] };
        const answer = await httpCall({ ...who, agent, url: config.url, headers, body: fusionAuthBody(message), signal: ctx.signal, timeoutMs: config.timeoutMs });
        if (!accepted(answer.status)) throw webhookError(who, answer);
        const providerMessageId = downstreamId(answer.body);
        logger.debug({ ...where, to: maskPhone(message.to), status: answer.status, providerMessageId }, 'downstream receiver accepted the message');
        return { providerMessageId };
      },
      async close() {
        await (closing ??= agent.close());
      },
    };
  },
});
