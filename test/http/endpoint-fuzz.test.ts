import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { createLogger } from '../../src/logger';
import { startRelay, type RunningRelay } from '../../src/server';
import { basicHeader, loaded, testConfig } from '../kit/relay-harness';

/** A real GC, so heap sizes compare live objects rather than garbage not yet collected. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** FusionAuth-shaped bodies with hostile values, plus anything JSON, plus not-JSON at all. */
const phone = fc.oneof(
  fc.constantFrom('+13035551212', '(303) 555-1212', '+4915123456789', '+19005550100', '(555) 555-5555', '', '+', '0', '+1 (720) 555-12xx'),
  fc.string({ maxLength: 50 }),
  fc.stringMatching(/^\+[1-9]\d{6,14}$/),
  fc.integer(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
);
const text = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 100 }), fc.constant('Testing'), fc.integer(), fc.constant(null), fc.string({ minLength: 1500, maxLength: 1700 }));
const messageBody = fc.record(
  {
    phoneNumber: phone,
    textMessage: text,
    message: text,
    type: fc.oneof(fc.constantFrom('SMS', 'Voice', 'sms', 'VOICE', 'MMS', ''), fc.anything()),
    code: fc.oneof(fc.stringMatching(/^\d{4,10}$/), fc.anything()),
    userId: fc.oneof(fc.uuid(), fc.anything()),
    locale: fc.oneof(fc.constantFrom('en', 'de_DE'), fc.string()),
  },
  { requiredKeys: [] },
);
/** Bodies that should be delivered (or limited): real numbers, any text, either channel, plus random extra fields. */
const goodMessage = fc
  .record({
    phoneNumber: fc.oneof(
      fc.integer({ min: 0, max: 9999 }).map((n) => `+1720555${String(n).padStart(4, '0')}`),
      fc.integer({ min: 0, max: 999_999 }).map((n) => `+49151${String(n).padStart(6, '0')}00`),
      fc.constantFrom('(303) 555-1212', '+33612345678'),
    ),
    textMessage: fc.string({ minLength: 1, maxLength: 300 }).filter((t) => t.trim().length > 0),
    type: fc.constantFrom('SMS', 'Voice', undefined),
    extra: fc.jsonValue(),
  })
  .map((b) => (b.type === 'Voice' ? { ...b, message: b.textMessage } : b));
const rawBody = fc.oneof(
  { arbitrary: goodMessage.map((b) => JSON.stringify(b)), weight: 6 },
  messageBody.map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 300 }),
  messageBody.map((b) => JSON.stringify(b).slice(0, 25)),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString('latin1')),
  fc.constant(''),
  fc.constant(`{"phoneNumber":"+13035551212","textMessage":"${'x'.repeat(20_000)}"}`),
);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,80}$/).map((v) => v.trim());
const headers = fc.record(
  {
    // Mostly the right credentials, so most requests reach the parser and the guard.
    authorization: fc.oneof(
      { arbitrary: fc.constant(basicHeader()), weight: 12 },
      fc.constant(basicHeader('fusionauth', 'wrong')),
      headerValue,
      fc.constant('Basic Og=='),
    ),
    'content-type': fc.oneof(fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', 'multipart/form-data'), headerValue),
    'content-encoding': fc.oneof({ arbitrary: fc.constant('identity'), weight: 6 }, fc.constantFrom('gzip', 'br')),
    'x-request-id': headerValue,
    'x-forwarded-for': fc.oneof(fc.ipV4(), fc.ipV6(), headerValue),
    'x-relay-key': headerValue,
  },
  { requiredKeys: ['authorization'] },
);
const path = fc.constantFrom('/fusionauth/sms', '/fusionauth/async');
const ALLOWED = new Set([200, 202, 400, 401, 403, 413, 415, 429]);

describe('the endpoint under random bodies and headers', () => {
  let relay: RunningRelay;
  const unhandled: string[] = [];

  beforeAll(async () => {
    // A real logger whose output is scanned for unhandled errors and then dropped, so the heap measures the relay.
    const sink = new Writable({
      write(chunk, _enc, cb) {
        const line = String(chunk);
        if (line.includes('"unhandled error"')) unhandled.push(line);
        cb();
      },
    });
    const raw = testConfig({
      endpoints: [
        { path: '/fusionauth/sms', auth: { basic: { username: 'fusionauth', password: 'test-password-0123456789' } }, route: 'otp' },
        { path: '/fusionauth/async', auth: { basic: { username: 'fusionauth', password: 'test-password-0123456789' } }, route: 'queued' },
      ],
      routes: { otp: { providers: ['phone'] }, queued: { providers: ['phone'], delivery: 'async' } },
      // The product's defaults (limits on, dedupe on), except the failed-auth block, which would soon answer every
      // request from this one source with 429 before its body is read; and a body limit the big bodies cross.
      limits: { failedAuth: false },
      dedupe: {},
      server: { host: '127.0.0.1', port: 0, tls: false, bodyLimitBytes: 16_384 },
    });
    relay = await startRelay(loaded(raw), createLogger('info', sink), { host: '127.0.0.1', port: 0 });
  });
  afterAll(() => relay?.close());

  const property = fc.asyncProperty(path, rawBody, headers, async (p, body, hs) => {
    const res = await fetch(`${relay.url}${p}`, { method: 'POST', headers: hs, body });
    await res.arrayBuffer();
    if (!ALLOWED.has(res.status)) throw new Error(`answered ${res.status} to ${JSON.stringify({ p, hs, body: body.slice(0, 200) })}`);
  });

  it('never answers 5xx, never crashes, and keeps its heap flat over thousands of requests', async () => {
    await fc.assert(property, { numRuns: 500 });
    const baseline = heapAfterGc();
    await fc.assert(property, { numRuns: 3000 });
    const after = heapAfterGc();
    expect(unhandled).toEqual([]);
    const health = await fetch(`${relay.url}/healthz`);
    expect(health.status).toBe(200);
    // Dedupe and limit keys of the valid messages live for their window: bounded, well under this.
    expect(after - baseline).toBeLessThan(24 * 1024 * 1024);
  }, 120_000);
});
