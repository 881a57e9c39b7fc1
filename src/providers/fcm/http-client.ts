import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface HttpClientOptions {
  timeoutMs: number;
  proxyUrl?: string;
  proxyUser?: string;
  proxyPassword?: string;
}

/** A network-level failure, classified so the provider can choose a verdict without parsing messages. */
export class HttpFailure extends Error {
  constructor(
    readonly kind: 'aborted' | 'timeout' | 'proxy' | 'network',
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

const MAX_BODY = 65_536;

/**
 * One keep-alive pool for the token endpoint and FCM, or one authenticated proxy for both (nevisFIDO's proxy-url,
 * proxy-user, proxy-password). undici's ProxyAgent tunnels with CONNECT and sends the credentials only to the proxy.
 */
export class HttpClient {
  private readonly dispatcher: Dispatcher;
  private closed = false;

  constructor(private readonly opts: HttpClientOptions) {
    const common = { keepAliveTimeout: 30_000, connect: { timeout: opts.timeoutMs } };
    if (opts.proxyUrl) {
      const token =
        opts.proxyUser !== undefined ? `Basic ${Buffer.from(`${opts.proxyUser}:${opts.proxyPassword ?? ''}`).toString('base64')}` : undefined;
      this.dispatcher = new ProxyAgent({ uri: opts.proxyUrl, token, ...common });
    } else {
      this.dispatcher = new Agent(common);
    }
  }

  async post(url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<HttpAnswer> {
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        signal,
        dispatcher: this.dispatcher,
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size <= MAX_BODY) chunks.push(chunk as Buffer);
      }
      return { status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') };
    } catch (e) {
      throw classify(e, signal);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dispatcher.close();
  }
}

function classify(e: unknown, signal: AbortSignal): HttpFailure {
  const err = e as { name?: string; code?: string; message?: string };
  if (signal.aborted) return new HttpFailure('aborted', 'the request was aborted (deadline or timeout)', err.code);
  const message = err.message ?? String(e);
  if (/^Proxy response \(\d+\)/.test(message)) return new HttpFailure('proxy', `the proxy refused the tunnel: ${message}`, 'proxy');
  if (err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT' || err.code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new HttpFailure('timeout', `no answer in time (${err.code})`, err.code);
  }
  return new HttpFailure('network', `${err.code ?? err.name ?? 'error'}: ${message}`, err.code);
}
