import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError } from '../../../src/providers/provider';
import { httpCall, keepAliveAgent, parseRetryAfter, statusError, verdictForStatus, type HttpCall } from '../../../src/providers/shared/http-call';
import { selfSigned } from '../../../src/tls/certificates';
import { startHttpPeer, type HttpPeer } from '../../kit/servers/http-peer';

describe('http-call', () => {
  let peer: HttpPeer;
  let tlsPeer: HttpPeer;
  let cert: string;
  const agent = keepAliveAgent();
  const call = (over: Partial<HttpCall> = {}): Promise<unknown> =>
    httpCall({ provider: 'p', vendor: 'the vendor', agent, url: `${peer.origin}/x`, headers: {}, body: '{}', signal: AbortSignal.timeout(3000), sensitive: [], ...over });
  const rejection = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e as ProviderError,
    );

  beforeAll(async () => {
    peer = await startHttpPeer({ answer: () => ({ status: 200, body: '{"ok":true}' }) });
    const pem = await selfSigned();
    cert = pem.cert;
    tlsPeer = await startHttpPeer({ tls: pem, answer: () => ({ status: 204 }) });
  });
  afterEach(() => peer.answerAlways(undefined));
  afterAll(async () => {
    await agent.close();
    await peer.close();
    await tlsPeer.close();
  });

  it('returns status, headers and body of any answer, without judging it', async () => {
    await expect(call()).resolves.toMatchObject({ status: 200, body: '{"ok":true}' });
    peer.answerAlways({ status: 418, headers: { 'x-why': 'teapot' }, body: 'short and stout' });
    await expect(call()).resolves.toMatchObject({ status: 418, headers: { 'x-why': 'teapot' }, body: 'short and stout' });
  });

  it('reads at most 8 KiB of an answer', async () => {
    peer.answerAlways({ status: 500, body: 'x'.repeat(100_000) });
    const answer = (await call()) as { body: string };
    expect(answer.body.length).toBe(8192);
  });

  it('a 2xx whose body breaks off is still an acceptance, so the message is not sent twice; a 5xx that breaks off is retryable', async () => {
    const cut = (status: number) =>
      http.createServer((req, res) => {
        req.resume();
        res.writeHead(status, { 'content-length': '100' });
        res.write('{"id":');
        setTimeout(() => res.destroy(), 20);
      });
    for (const [status, expected] of [
      [200, { status: 200, body: '' }],
      [502, undefined],
    ] as const) {
      const server = cut(status);
      await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
      try {
        if (expected) await expect(call({ url })).resolves.toMatchObject(expected);
        else await expect(rejection(call({ url }))).resolves.toMatchObject({ verdict: 'retryable' });
      } finally {
        server.closeAllConnections();
        await new Promise((ok) => server.close(ok));
      }
    }
  });

  it('refuses an unverifiable certificate with failover, and trusts it once given as ca', async () => {
    const e = await rejection(call({ url: `${tlsPeer.origin}/x` }));
    expect(e).toBeInstanceOf(ProviderError);
    expect(e).toMatchObject({ verdict: 'failover', vendorCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const trusting = keepAliveAgent({ ca: cert });
    try {
      await expect(call({ url: `${tlsPeer.origin}/x`, agent: trusting })).resolves.toMatchObject({ status: 204 });
    } finally {
      await trusting.close();
    }
  });

  it('a refused connection is retryable, and carries no secret from the error text', async () => {
    const closed = http.createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const { port } = closed.address() as AddressInfo;
    await new Promise((ok) => closed.close(ok));
    const e = await rejection(call({ url: `http://127.0.0.1:${port}/x`, sensitive: [String(port)] }));
    expect(e).toMatchObject({ verdict: 'retryable', vendorCode: 'ECONNREFUSED' });
    expect(e.vendorMessage).not.toContain(String(port));
  });

  it('an aborted signal is failover "aborted" before anything is sent; a timeout says "timeout"', async () => {
    const before = peer.requests.length;
    await expect(rejection(call({ signal: AbortSignal.abort() }))).resolves.toMatchObject({ verdict: 'failover', vendorCode: 'aborted' });
    expect(peer.requests.length).toBe(before);
    peer.behave('hang');
    try {
      await expect(rejection(call({ signal: AbortSignal.timeout(200) }))).resolves.toMatchObject({ verdict: 'failover', vendorCode: 'timeout' });
    } finally {
      peer.behave('accept');
    }
  });

  it.each([
    [302, 'failover'],
    [400, 'failover'],
    [401, 'failover'],
    [408, 'retryable'],
    [429, 'retryable'],
    [500, 'retryable'],
    [503, 'retryable'],
  ] as const)('status %i → %s', (status, verdict) => {
    expect(verdictForStatus(status)).toBe(verdict);
  });

  it('reads Retry-After as seconds or as an HTTP date, capped at a day', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(['2'], now)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999999', now)).toBe(86_400_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('statusError keeps the status, scrubs the body, and sets retryAfterMs only when retrying can help', () => {
    const who = { provider: 'p', vendor: 'v', sensitive: ['s3cr3t-token'] };
    const retry = statusError(who, { status: 503, headers: { 'retry-after': '5' }, body: 'down, token s3cr3t-token' });
    expect(retry).toMatchObject({ verdict: 'retryable', vendorStatus: 503, retryAfterMs: 5000, vendorMessage: 'down, token [redacted]' });
    const refuse = statusError(who, { status: 400, headers: { 'retry-after': '5' }, body: '' }, { reason: 'bad number' });
    expect(refuse).toMatchObject({ verdict: 'failover', vendorStatus: 400, retryAfterMs: undefined, vendorMessage: undefined });
    expect(refuse.message).toBe('v answered HTTP 400: bad number');
  });
});
