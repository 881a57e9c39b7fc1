import { postMessage } from '../kit/post-message';
import { startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';
import { startHttpPeer, type HttpPeer } from '../kit/servers/http-peer';

/**
 * A downstream that echoes what it was sent in the part of its answer that becomes the attempt's vendor code (a
 * chained receiver's `generalErrors[0].code`). The code, the number and the text must still reach neither the 502
 * body, nor the delivery log, nor a log line.
 */
const ADMIN = 'admin-token-0123456789abcdef';

describe('a vendor that echoes the message in its error code', () => {
  let peer: HttpPeer;
  let relay: TestRelay;
  let echo: (body: Record<string, string>) => string;

  beforeAll(async () => {
    peer = await startHttpPeer({
      answer: (req) => {
        const body = JSON.parse(req.raw) as Record<string, string>;
        return { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ generalErrors: [{ code: echo(body), message: 'refused' }] }) };
      },
    });
    relay = await startTestRelay(
      testConfig({
        admin: { token: ADMIN },
        routes: { otp: { providers: ['next'], deadlineMs: 1500 } },
        providers: { next: { type: 'webhook', url: `${peer.origin}/fusionauth/sms` } },
      }),
    );
  });
  afterAll(async () => {
    await relay?.close();
    await peer?.close();
  });

  it.each([
    ['the code', (b: Record<string, string>) => b.code],
    ['the number without its +', (b: Record<string, string>) => b.phoneNumber.replace(/^\+/, '')],
    ['the number', (b: Record<string, string>) => `bad ${b.phoneNumber}`],
    ['the text', (b: Record<string, string>) => b.textMessage],
  ])('%s: 502 with the vendor code redacted, in the answer, the delivery log and the logs', async (_what, pick) => {
    echo = pick;
    const code = String(700000 + Math.floor(Math.random() * 99999));
    const text = `Your sign-in code is ${code}`;
    const answer = await postMessage(relay.url, { phoneNumber: '+33612345690', code, textMessage: text });
    expect(answer.status).toBe(502);
    expect(answer.body).toMatchObject({ data: { attempts: [{ provider: 'next', vendorStatus: 400, vendorCode: expect.stringContaining('[redacted]') }] } });
    const record = await fetch(`${relay.url}/admin/deliveries/${String((answer.body.data as { id: string }).id)}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const stored = JSON.stringify(await record.json());
    expect(stored).toContain('[redacted]');
    for (const shown of [JSON.stringify(answer.body), stored, relay.logs()]) {
      for (const leak of [code, '33612345690', 'Your sign-in code']) expect(shown).not.toContain(leak);
    }
    expect(peer.requests.at(-1)?.raw).toContain(code);
  });
});
