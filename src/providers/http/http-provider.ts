import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import type { Message } from '../../message';
import { maskPhone, scrub } from '../../redact';
import { defineProvider, ProviderError, type Provider, type SendContext, type SendResult } from '../provider';
import { parseBodyMatcher } from './body-matcher';
import { httpConfigSchema, type HttpEntry } from './config-schema';
import { createGatewayAgent } from './gateway-agent';
import { judgeResponse, type ResponseRules } from './judge-response';
import { parsePhoneRewrite, type PhoneRewrite } from '../shared/phone-rewrite';
import { buildRequest } from './request-builder';
import { requestFailure } from './request-errors';
import { resolveHttpConfig, type ResolvedHttpConfig } from './resolve-config';
import { MissingCodeError, noCodeError } from '../shared/template';
import { readCa } from '../shared/read-ca';
import { timeLimit } from '../shared/time-limit';

/** Enough for any gateway's status answer; a gateway that streams more is cut off rather than buffered. */
const MAX_ANSWER_BYTES = 64 * 1024;

async function readAnswer(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_ANSWER_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
}

/** Everything configured that is a secret, for scrubbing gateway answers and errors. */
function configSecrets(c: ResolvedHttpConfig, basicAuth: string | undefined): string[] {
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string' || typeof v === 'number') out.push(String(v));
    else if (Array.isArray(v)) v.forEach(add);
    else if (v && typeof v === 'object') Object.values(v).forEach(add);
  };
  add(c.password);
  add(c.parameters);
  add(c.headers);
  if (basicAuth) out.push(basicAuth, basicAuth.slice('Basic '.length));
  if (c.proxy) {
    const p = new URL(c.proxy);
    out.push(c.proxy, p.password, decodeURIComponent(p.password));
  }
  return out;
}

/**
 * Gateways echo what they were sent in their error answers, encoded as it went out: `+49…` comes back as
 * `%2B49…`, a quote as `\"`. Scrub each value in every spelling it left in, longest first.
 */
function withEncodings(values: readonly string[]): string[] {
  const out = new Set<string>();
  for (const v of values) {
    if (!v) continue;
    out.add(v);
    out.add(encodeURIComponent(v));
    out.add(new URLSearchParams([['', v]]).toString().slice(1));
    out.add(JSON.stringify(v).slice(1, -1));
  }
  return [...out].sort((a, b) => b.length - a.length);
}

class HttpGatewayProvider implements Provider {
  readonly type = 'http';
  readonly channels = ['sms'] as const;
  private readonly agent: Dispatcher;
  private readonly rewrite?: PhoneRewrite;
  private readonly rules: ResponseRules;
  private readonly basicAuth?: string;
  private readonly secrets: string[];
  private readonly host: string;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly c: ResolvedHttpConfig,
    private readonly logger: Logger,
    baseDir: string,
  ) {
    // The schema already compiled each of these once and refused the bad ones; this cannot throw.
    this.rewrite = c.regexp ? parsePhoneRewrite(c.regexp) : undefined;
    this.rules = {
      successStatus: c.successStatus,
      returnSuccess: c.returnSuccess ? parseBodyMatcher(c.returnSuccess) : undefined,
      returnFail: c.returnFail ? parseBodyMatcher(c.returnFail) : undefined,
    };
    if (c.username !== undefined) this.basicAuth = `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`, 'utf8').toString('base64')}`;
    this.secrets = configSecrets(c, this.basicAuth);
    this.host = new URL(c.url).host;
    const ca = c.ca ? readCa(name, c.ca, baseDir) : undefined;
    this.agent = createGatewayAgent({ checkTls: c.checkTls, ca, proxy: c.proxy, timeoutMs: c.timeoutMs });
  }

  async send(message: Message, ctx: SendContext): Promise<SendResult> {
    const fail = (text: string, vendorCode: string) => new ProviderError(this.name, text, { verdict: 'failover', vendorCode });
    if (this.closed) throw fail('provider is closed', 'closed');
    if (ctx.signal.aborted) throw fail(`gave up on gateway ${this.host}: the caller's deadline passed`, 'aborted');
    const phone = this.rewrite ? this.rewrite.apply(message.to) : message.to;
    const sensitive = withEncodings([...this.secrets, message.text, message.to, phone, ...(message.code ? [message.code] : [])]);
    const clean = (text: string) => scrub(text, sensitive);

    let req;
    try {
      req = buildRequest(this.c, { phone, message: message.text, code: message.code }, this.basicAuth);
      if (this.c.idempotencyHeader) req.headers[this.c.idempotencyHeader] = ctx.deliveryId;
    } catch (e) {
      if (e instanceof MissingCodeError) throw noCodeError(this.name, e);
      throw e;
    }

    const limit = timeLimit(this.c.timeoutMs, ctx.signal);
    const { signal, timedOut: timeoutSignal } = limit;
    this.logger.debug({ to: maskPhone(message.to), host: this.host, method: req.method, deliveryId: ctx.deliveryId }, 'sending to HTTP gateway');
    let status: number;
    let retryAfter: string | undefined;
    let body: string;
    try {
      const res = await request(req.url, { method: req.method, headers: req.headers, body: req.body, signal, dispatcher: this.agent });
      status = res.statusCode;
      const ra = res.headers['retry-after'];
      retryAfter = Array.isArray(ra) ? ra[0] : ra;
      try {
        body = await readAnswer(res.body);
      } catch (e) {
        // The status line already said yes: the message is with the gateway, so losing the rest of the answer must
        // not make it a retry that sends it again (shared/http-call.ts does the same). The rules judge what arrived.
        if (status < 200 || status >= 300) throw e;
        body = '';
      }
    } catch (e) {
      throw requestFailure(e, {
        provider: this.name,
        host: this.host,
        callerSignal: ctx.signal,
        timeoutSignal,
        timeoutMs: this.c.timeoutMs,
        viaProxy: !!this.c.proxy,
        clean,
      });
    } finally {
      limit.done();
    }

    const verdict = judgeResponse({ status, retryAfter, body }, this.rules, this.host, clean);
    if (!verdict.ok) throw new ProviderError(this.name, verdict.message, verdict.init);
    this.logger.debug({ status, providerMessageId: verdict.providerMessageId, deliveryId: ctx.deliveryId }, 'HTTP gateway accepted the message');
    return verdict.providerMessageId === undefined ? {} : { providerMessageId: clean(verdict.providerMessageId) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }
}

/**
 * Any HTTP SMS gateway, with privacyIDEA's HTTP provider semantics (GET/POST, form or JSON, fixed parameters
 * plus tag-filled options, REGEXP phone rewrite, RETURN_SUCCESS/RETURN_FAIL) and its pitfalls fixed.
 */
export const httpProvider = defineProvider({
  type: 'http',
  channels: ['sms'],
  // Header and parameter values are secrets as a whole: they are where gateways want API keys and passwords.
  secretKeys: ['password', 'parameters', 'headers', 'proxy'],
  configSchema: httpConfigSchema,
  create(config, { logger, baseDir }) {
    return new HttpGatewayProvider(config.name, resolveHttpConfig(config as HttpEntry), logger, baseDir);
  },
});
