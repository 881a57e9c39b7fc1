import { acceptedTexts, httpProviderAt } from '../kit/gateway-config';
import { postMessage, smsTo } from '../kit/post-message';
import { startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';
import { startHttpGateway, type HttpGateway } from '../kit/servers/http-gateway';

describe('duplicate suppression', () => {
  let gw: HttpGateway;
  let relay: TestRelay;

  beforeAll(async () => {
    gw = await startHttpGateway();
    relay = await startTestRelay(
      testConfig({
        providers: { gateway: httpProviderAt(gw) },
        routes: { otp: { providers: ['gateway'], deadlineMs: 3000 } },
        dedupe: { windowSeconds: 60 },
        limits: { perPhone: { max: 2, windowSeconds: 600 } },
      }),
    );
  });
  beforeEach(() => {
    gw.behave('accept');
    gw.clear();
  });
  afterAll(async () => {
    await relay?.close();
    await gw?.close();
  });

  it('answers a repeated message with the first delivery, sends once, and spends no limit budget on the repeat', async () => {
    const body = smsTo('+33612345601');
    const first = await postMessage(relay.url, body);
    const second = await postMessage(relay.url, body);
    const third = await postMessage(relay.url, body);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-relay-duplicate')).toBeNull();
    for (const again of [second, third]) {
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ id: first.body.id, status: 'delivered' });
      expect(again.headers.get('x-relay-duplicate')).toBe('true');
    }
    expect(gw.count).toBe(1);
    // perPhone is 2 and the repeats spent none of it: a new text is sent, the one after is limited.
    expect((await postMessage(relay.url, smsTo('+33612345601'))).status).toBe(200);
    expect((await postMessage(relay.url, smsTo('+33612345601'))).status).toBe(429);
    expect(relay.logs()).toContain('duplicate answered with the earlier delivery');
  });

  it('makes concurrent duplicates (a load balancer retry while the first is still sending) wait for the first', async () => {
    gw.behave({ status: 200, body: 'OK', delayMs: 400 });
    const body = smsTo('+33612345602');
    const answers = await Promise.all(Array.from({ length: 5 }, () => postMessage(relay.url, body)));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.headers.get('x-relay-duplicate') === 'true')).toHaveLength(4);
    expect(gw.count).toBe(1);
  });

  it('gives a concurrent duplicate of a failing first the same failure, and a later retry a new chance', async () => {
    gw.behave({ status: 503, body: 'down', delayMs: 300 });
    const body = smsTo('+33612345603');
    const [a, b] = await Promise.all([postMessage(relay.url, body), postMessage(relay.url, body)]);
    expect([a.status, b.status]).toEqual([502, 502]);
    expect(b.body).toMatchObject({ data: { id: a.body.data && (a.body.data as { id: string }).id } });
    expect([a, b].filter((x) => x.headers.get('x-relay-duplicate') === 'true')).toHaveLength(1);
    expect(gw.count).toBe(1);

    gw.behave('accept');
    const retry = await postMessage(relay.url, body);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('x-relay-duplicate')).toBeNull();
    expect(retry.body.id).not.toBe((a.body.data as { id: string }).id);
    expect(acceptedTexts(gw)).toEqual([body.textMessage]);
  });

  it('sends the same text to another number', async () => {
    const body = smsTo('+33612345604');
    expect((await postMessage(relay.url, body)).status).toBe(200);
    expect((await postMessage(relay.url, { ...body, phoneNumber: '+33612345605' })).status).toBe(200);
    expect(gw.count).toBe(2);
  });
});

describe('duplicate window', () => {
  it('sends again once the window has passed, and never when dedupe is off', async () => {
    const gw = await startHttpGateway();
    const short = await startTestRelay(testConfig({ providers: { gateway: httpProviderAt(gw) }, routes: { otp: { providers: ['gateway'] } }, dedupe: { windowSeconds: 1 } }));
    const off = await startTestRelay(testConfig({ providers: { gateway: httpProviderAt(gw) }, routes: { otp: { providers: ['gateway'] } }, dedupe: { windowSeconds: 0 } }));
    try {
      const body = smsTo('+33612345606');
      const first = await postMessage(short.url, body);
      expect((await postMessage(short.url, body)).body.id).toBe(first.body.id);
      await new Promise((ok) => setTimeout(ok, 1300));
      const later = await postMessage(short.url, body);
      expect(later.body.id).not.toBe(first.body.id);
      expect(gw.count).toBe(2);

      const a = await postMessage(off.url, body);
      const b = await postMessage(off.url, body);
      expect(a.body.id).not.toBe(b.body.id);
      expect(gw.count).toBe(4);
    } finally {
      await short.close();
      await off.close();
      await gw.close();
    }
  });
});
