import { basicHeader } from '../../kit/relay-harness';
import { postMessage, smsTo } from '../../kit/post-message';
import { startTestRelay, testConfig, type TestRelay } from '../../kit/relay-harness';

async function withRelay(limits: Record<string, unknown>, run: (relay: TestRelay) => Promise<void>, extra: Record<string, unknown> = {}) {
  const relay = await startTestRelay(testConfig({ limits, ...extra }));
  try {
    await run(relay);
  } finally {
    await relay.close();
  }
}

describe('destination rules', () => {
  it('refuses premium-rate and shared-cost numbers by default with 403 and the rule, never 429', () =>
    withRelay({}, async (relay) => {
      const premium = await postMessage(relay.url, smsTo('+19005550100'));
      expect(premium.status).toBe(403);
      expect(premium.headers.get('retry-after')).toBeNull();
      expect(premium.body).toMatchObject({ generalErrors: [{ code: '[blocked]phoneNumber' }], data: { rule: 'numberType' } });
      // Toll-free is not refused unless configured; a US number (FIXED_LINE_OR_MOBILE) passes when unsure types are allowed.
      expect((await postMessage(relay.url, smsTo('+18005550100'))).status).toBe(200);
      expect((await postMessage(relay.url, smsTo('+17205551234'))).status).toBe(200);
      expect(relay.logs()).toContain('"rule":"numberType"');
    }));

  it('refuses configured types per channel and, when told to fail closed, numbers of unsure type', () =>
    withRelay({ numberTypes: { sms: ['FIXED_LINE', 'TOLL_FREE'], voice: [], whenUnsure: 'deny' } }, async (relay) => {
      expect((await postMessage(relay.url, smsTo('+4930123456'))).status).toBe(403);
      expect((await postMessage(relay.url, smsTo('+18005550100'))).status).toBe(403);
      expect((await postMessage(relay.url, smsTo('+17205551234'))).status).toBe(403);
      expect((await postMessage(relay.url, smsTo('+4915123456789'))).status).toBe(200);
      // Voice refuses nothing here: a landline can take a spoken code.
      const voice = await postMessage(relay.url, { phoneNumber: '+4930123456', type: 'Voice', message: 'Ihr Code 111222', textMessage: undefined });
      expect(voice.status).toBe(200);
    }));

  it('keeps to the country allow list', () =>
    withRelay({ countries: { allow: ['DE', 'FR'] } }, async (relay) => {
      expect((await postMessage(relay.url, smsTo('+4915123456789'))).status).toBe(200);
      expect((await postMessage(relay.url, smsTo('+33612345678'))).status).toBe(200);
      const us = await postMessage(relay.url, smsTo('+17205551234'));
      expect(us.status).toBe(403);
      expect(us.body).toMatchObject({ data: { rule: 'country' } });
    }));

  it('refuses countries on the deny list', () =>
    withRelay({ countries: { deny: ['CA'] } }, async (relay) => {
      expect((await postMessage(relay.url, smsTo('+16135550123'))).status).toBe(403);
      expect((await postMessage(relay.url, smsTo('+17205551234'))).status).toBe(200);
    }));

  it('refuses a configuration with both lists', async () => {
    await expect(startTestRelay(testConfig({ limits: { countries: { allow: ['DE'], deny: ['US'] } } }))).rejects.toThrow(/limits\.countries: give allow or deny/);
  });
});

describe('daily budgets', () => {
  it('spends each country its own budget per UTC day and says to retry after midnight', () =>
    withRelay({ perCountry: { maxPerDay: 2, countries: { DE: 3 } }, perPrefix: false, perPhone: false }, async (relay) => {
      const us = [];
      for (let i = 0; i < 3; i++) us.push(await postMessage(relay.url, smsTo(`+1720555${1000 + i}`)));
      expect(us.map((a) => a.status)).toEqual([200, 200, 429]);
      expect(us[2].body).toMatchObject({ data: { rule: 'perCountry' } });
      const now = new Date();
      const toMidnight = (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000;
      expect(Math.abs(Number(us[2].headers.get('retry-after')) - toMidnight)).toBeLessThan(30);
      const de = [];
      for (let i = 0; i < 4; i++) de.push((await postMessage(relay.url, smsTo(`+49151234567${10 + i}`))).status);
      expect(de).toEqual([200, 200, 200, 429]);
    }));

  it('caps the whole relay per day, after the narrower rules', () =>
    withRelay({ total: { maxPerDay: 3 }, perPrefix: false }, async (relay) => {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await postMessage(relay.url, smsTo(`+3361234567${i}`))).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    }));

  it('never counts or refuses exempt prefixes', () =>
    withRelay({ perPhone: { max: 1, windowSeconds: 600 }, exempt: ['+1720555'] }, async (relay) => {
      for (let i = 0; i < 4; i++) expect((await postMessage(relay.url, smsTo('+17205551234'))).status).toBe(200);
      expect((await postMessage(relay.url, smsTo('+33612345678'))).status).toBe(200);
      expect((await postMessage(relay.url, smsTo('+33612345678'))).status).toBe(429);
    }));
});

describe('failed authentication per source', () => {
  it('answers 429 before checking credentials once a source has failed too often, right password included', () =>
    withRelay({ failedAuth: { max: 3, windowSeconds: 600, blockSeconds: 120 } }, async (relay) => {
      const wrong = { authorization: basicHeader('fusionauth', 'wrong-password-0123456789') };
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await postMessage(relay.url, smsTo('+33612345678'), { headers: wrong })).status);
      expect(statuses).toEqual([401, 401, 401]);
      const failuresLogged = () => relay.logs().split('\n').filter((l) => l.includes('"authentication failed"')).length;
      const before = failuresLogged();
      const right = await postMessage(relay.url, smsTo('+33612345678'));
      expect(right.status).toBe(429);
      expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(60);
      expect(right.body).toMatchObject({ generalErrors: [{ code: '[rateLimited]' }], data: { rule: 'failedAuth' } });
      expect((await postMessage(relay.url, smsTo('+33612345678'), { headers: wrong })).status).toBe(429);
      // Refused before any guard ran: no new "authentication failed" line.
      expect(failuresLogged()).toBe(before);
      expect(relay.logs()).toContain('"rule":"failedAuth"');
      expect(relay.logs()).not.toContain('wrong-password-0123456789');
    }));

  it('does not count a good caller', () =>
    withRelay({ failedAuth: { max: 2, windowSeconds: 600, blockSeconds: 120 } }, async (relay) => {
      for (let i = 0; i < 5; i++) expect((await postMessage(relay.url, smsTo(`+3361234560${i}`))).status).toBe(200);
    }));
});
