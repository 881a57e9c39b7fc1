import { writeFile, mkdtemp } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { freePort, runCli } from '../kit/processes';
import { basicHeader, smsBody, startTestRelay, testConfig, TEST_PASSWORD } from '../kit/relay-harness';

/** Starts a POST and sends only the first half of its body; `finish()` sends the rest and resolves with the answer. */
function halfSentPost(port: number) {
  const body = JSON.stringify(smsBody);
  let resolveAnswer!: (v: { status: number; body: string }) => void;
  const answer = new Promise<{ status: number; body: string }>((r) => (resolveAnswer = r));
  const req = httpRequest(
    {
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/fusionauth/sms',
      headers: { Authorization: basicHeader(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
    },
    (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, body: text }));
    },
  );
  const failed = new Promise<string>((r) => req.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message)));
  req.write(body.slice(0, 20));
  return {
    finish: () => {
      req.end(body.slice(20));
      return answer;
    },
    outcome: Promise.race([answer.then((a) => `status ${a.status}`), failed]),
  };
}

describe('graceful shutdown', () => {
  it('stops accepting, finishes the in-flight request, then closes the store', async () => {
    const relay = await startTestRelay(testConfig({ server: { host: '127.0.0.1', port: 0, tls: false, shutdownTimeoutMs: 5000 } }));
    const inFlight = halfSentPost(relay.port);
    await new Promise((r) => setTimeout(r, 100));
    const closed = relay.close();
    expect(relay.state.shuttingDown).toBe(true);
    await expect(request(relay.url).get('/healthz')).rejects.toThrow(/ECONNREFUSED/);
    const answer = await inFlight.finish();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).status).toBe('delivered');
    await closed;
    await expect(relay.store.ping()).rejects.toThrow();
  });

  it('gives up on a request that stalls past shutdownTimeoutMs', async () => {
    const relay = await startTestRelay(testConfig({ server: { host: '127.0.0.1', port: 0, tls: false, shutdownTimeoutMs: 300 } }));
    const stalled = halfSentPost(relay.port);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await relay.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await stalled.outcome).toMatch(/ECONNRESET|socket hang up/);
  });

  it('on SIGTERM the real process answers the in-flight request and exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-sigterm-'));
    const port = await freePort();
    await writeFile(
      join(dir, 'relay.yaml'),
      [
        `server: { host: 127.0.0.1, port: ${port}, tls: false }`,
        'storage: { url: "sqlite:relay.db" }',
        'endpoints:',
        `  - { path: /fusionauth/sms, route: otp, auth: { basic: { username: fusionauth, password: "${TEST_PASSWORD}" } } }`,
        'routes: { otp: { providers: [phone] } }',
        'providers: { phone: { type: log, print: none, outboxFile: outbox.jsonl } }',
      ].join('\n'),
    );
    const proc = runCli(['serve', '--config', join(dir, 'relay.yaml')]);
    await proc.waitFor(/"listening"/);
    // tls: false is only for a TLS-terminating load balancer in front; the start says so.
    expect(proc.stdout()).toContain('TLS is off: only run this behind a load balancer that terminates TLS');
    const inFlight = halfSentPost(port);
    await new Promise((r) => setTimeout(r, 150));
    proc.child.kill('SIGTERM');
    await proc.waitFor(/shutting down/);
    const answer = await inFlight.finish();
    expect(answer.status).toBe(200);
    expect(await proc.exited).toBe(0);
  });
});
