import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

/** The compose demo's SMS gateway sink, started as compose starts it, and posted to as an http provider would. */
const script = join(__dirname, '..', '..', 'deploy', 'sms-sink', 'sms-sink.cjs');

describe('deploy/sms-sink', () => {
  let child: ChildProcessWithoutNullStreams;
  let out = '';
  let base = '';

  beforeAll(async () => {
    child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1' } });
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sink did not start: ${out}`)), 10_000);
      child.stdout.on('data', () => {
        const m = /listening on :(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${m[1]}`);
        }
      });
    });
  });
  afterAll(() => child?.kill('SIGTERM'));

  const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { id: string; message: unknown });

  it('answers its healthcheck', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('accepts a JSON and a form-encoded message, prints each on one line and answers with an id', async () => {
    const json = await fetch(`${base}/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: '+13035551212', text: 'Code 482913' }) });
    expect(json.status).toBe(200);
    const { id } = (await json.json()) as { id: string };
    const form = await fetch(`${base}/send`, { method: 'POST', body: new URLSearchParams({ phone: '13035551212', message: 'Code 111222' }) });
    expect(form.status).toBe(200);
    for (let i = 0; i < 100 && lines().length < 2; i++) await new Promise((ok) => setTimeout(ok, 20));
    expect(lines()).toEqual([
      expect.objectContaining({ id, message: { to: '+13035551212', text: 'Code 482913' } }),
      expect.objectContaining({ message: { phone: '13035551212', message: 'Code 111222' } }),
    ]);
  });

  it('refuses other methods and oversized bodies', async () => {
    expect((await fetch(`${base}/send`)).status).toBe(405);
    // The sink answers 413 and drops the connection; fetch may still be uploading then and see the reset instead.
    const big = await fetch(`${base}/send`, { method: 'POST', body: 'x'.repeat(70 * 1024) }).then(
      (r) => r.status,
      (e: { cause?: { code?: string } }) => e.cause?.code,
    );
    expect([413, 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']).toContain(big);
    // Refused, not crashed.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
