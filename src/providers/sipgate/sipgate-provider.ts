import { z } from 'zod';
import { maskPhone } from '../../redact';
import { defineProvider } from '../provider';
import { httpCall, keepAliveAgent, messageSensitive } from '../shared/http-call';
import { httpUrl } from '../shared/http-url';
import { sipgateError } from './sipgate-answer';

/**
 * sipgate's REST API v2, `POST /sessions/sms`. privacyIDEA's sipgate provider spoke the samurai XML-RPC API,
 * which sipgate switched off on 2022-01-01 (reference/sms-providers.md §1.5, §3); this one replaces it.
 *
 * Authentication is a personal access token sent as Basic `tokenId:token`, as sipgate's own SDK builds it
 * (sipgate-io/sipgateio-node lib/core/sipgateIOClient/sipgateIOClient.ts, getAuthHeader). The formats below are
 * the ones that SDK enforces before it sends anything (validateTokenID.ts, validatePersonalAccessToken.ts,
 * validateExtension.ts), so a typo fails at start instead of as a 401 at the first code.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export const sipgateProvider = defineProvider({
  type: 'sipgate',
  channels: ['sms'],
  secretKeys: ['token'],
  configSchema: z.object({
    tokenId: z.string().regex(/^token-[A-Za-z0-9]{6}$/, 'must be a personal access token id such as token-AB12CD'),
    token: z.string().regex(UUID, 'must be the personal access token itself (a UUID, shown once when the token was created)'),
    /** The Web SMS extension that sends; its default caller ID is the sender shown on the phone. */
    smsId: z.string().regex(/^s(0|[1-9][0-9]*)$/, 'must be a Web SMS extension id such as s0').default('s0'),
    baseUrl: httpUrl({ plainHttp: 'loopback' }).default('https://api.sipgate.com/v2'),
    timeoutMs: z.number().int().min(10).max(120_000).default(5000),
  }),
  create(config, { logger }) {
    const agent = keepAliveAgent({ connectTimeoutMs: config.timeoutMs });
    const url = `${config.baseUrl.replace(/\/+$/, '')}/sessions/sms`;
    const authorization = `Basic ${Buffer.from(`${config.tokenId}:${config.token}`).toString('base64')}`;
    const secrets = [config.token, authorization.slice(6)];
    let closing: Promise<void> | undefined;

    return {
      name: config.name,
      type: 'sipgate',
      channels: ['sms'],
      async send(message, ctx) {
        const call = { provider: config.name, vendor: 'sipgate', sensitive: [...secrets, ...messageSensitive(message)] };
        // The number goes as E.164 with its `+`, the form sipgate's examples and SDK validator use (^\+?[0-9]+$).
        // sendAt is left out: a one-time code is sent now or not at all.
        const answer = await httpCall({
          ...call,
          agent,
          url,
          headers: { authorization, 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'messenger-relay' },
          body: JSON.stringify({ smsId: config.smsId, recipient: message.to, message: message.text }),
          signal: ctx.signal,
          timeoutMs: config.timeoutMs,
        });
        // sipgate answers 204 without a message id; any 2xx is taken, since the exact status is not documented.
        if (answer.status >= 200 && answer.status < 300) {
          logger.debug({ to: maskPhone(message.to), status: answer.status }, 'sipgate accepted the SMS');
          return {};
        }
        throw sipgateError(call, answer);
      },
      async close() {
        await (closing ??= agent.close());
      },
    };
  },
});
