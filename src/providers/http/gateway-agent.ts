import { Agent, ProxyAgent, type Dispatcher } from 'undici';

export interface AgentOptions {
  checkTls: boolean;
  /** PEM text of the CA(s) to trust instead of the system store. */
  ca?: string;
  proxy?: string;
  timeoutMs: number;
}

/**
 * One keep-alive pool per provider: a one-time code should not pay a TCP and TLS handshake per message.
 * undici follows no redirects unless asked to, which is what we want (see judge-response.ts).
 */
export function createGatewayAgent(o: AgentOptions): Dispatcher {
  const tls = { rejectUnauthorized: o.checkTls, ...(o.ca ? { ca: o.ca } : {}) };
  // undici's default idle time (4 s, shorter when the gateway hints less) stays: a longer one keeps sockets the
  // gateway may already have closed, and the first send after a quiet spell would meet a reset.
  const timeouts = { headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs };
  if (!o.proxy) return new Agent({ ...timeouts, connect: { ...tls, timeout: o.timeoutMs } });
  // A CONNECT tunnel for http and https targets alike: the proxy relays bytes and is never handed the request
  // to parse or log. Its own credentials come from the userinfo of its URL (undici sends Proxy-Authorization).
  return new ProxyAgent({ ...timeouts, uri: o.proxy, requestTls: tls, proxyTls: { ...tls, timeout: o.timeoutMs } });
}
