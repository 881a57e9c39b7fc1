import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postMessage, sample, scrape, smsTo } from '../../kit/post-message';
import { startTestRelay, testConfig, type TestRelay } from '../../kit/relay-harness';

const ADMIN = 'admin-token-0123456789abcdef';

describe('SMS pumping: a run of numbers in one prefix', () => {
  let relay: TestRelay;
  let dir: string;
  const outbox = () => join(dir, 'outbox.jsonl');
  const delivered = async () => (await readFile(outbox(), 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { to: string });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-pump-'));
    relay = await startTestRelay(
      testConfig({
        providers: { phone: { type: 'log', print: 'none', outboxFile: outbox() } },
        limits: { perPrefix: { max: 10, windowSeconds: 3600, dropDigits: 3 }, perPhone: { max: 3, windowSeconds: 600 } },
        admin: { token: ADMIN },
      }),
    );
  });

  afterAll(async () => {
    await relay?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stops hundreds of numbers in +1303555 2xxx at the prefix budget while a user in another prefix still gets a code', async () => {
    const answers = [];
    for (let i = 0; i < 300; i++) answers.push(await postMessage(relay.url, smsTo(`+1303555${2000 + i}`)));
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(ok).toHaveLength(10);
    expect(limited).toHaveLength(290);
    const refusal = limited[0];
    expect(Number(refusal.headers.get('retry-after'))).toBeGreaterThan(3000);
    expect(refusal.body).toMatchObject({ generalErrors: [{ code: '[rateLimited]' }], data: { rule: 'perPrefix' } });

    const normal = await postMessage(relay.url, smsTo('(720) 555-1234'));
    expect(normal.status).toBe(200);

    const sent = await delivered();
    expect(sent).toHaveLength(11);
    expect(sent.filter((m) => m.to.startsWith('+13035552'))).toHaveLength(10);
    expect(sent.at(-1)?.to).toBe('+17205551234');

    // The operator sees which rule fired, with the number masked, and the count in /metrics.
    const lines = relay.logs().split('\n').filter((l) => l.includes('"limit reached"'));
    expect(lines).toHaveLength(290);
    expect(lines[0]).toContain('"rule":"perPrefix"');
    expect(relay.logs()).not.toContain('+13035552015');
    const metrics = await scrape(`${relay.url}/metrics`, ADMIN);
    expect(sample(metrics, 'relay_limit_hits_total{rule="perPrefix"}')).toBe(290);
  });

  it('limits one number on its own, before its prefix', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await postMessage(relay.url, smsTo('+4915123456789'))).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const again = await postMessage(relay.url, smsTo('+4915123456789'));
    expect(again.body).toMatchObject({ data: { rule: 'perPhone' } });
  });
});
