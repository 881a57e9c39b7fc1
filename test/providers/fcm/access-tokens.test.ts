import { AccessTokens } from '../../../src/providers/fcm/access-tokens';
import { HttpClient } from '../../../src/providers/fcm/http-client';
import { parseServiceAccount } from '../../../src/providers/fcm/service-account';
import { MockFcm } from '../../../src/push/mock-fcm/mock-fcm-server';

describe('fcm access tokens', () => {
  let mock: MockFcm;
  let http: HttpClient;
  beforeAll(async () => {
    mock = await MockFcm.start({ tokenTtlSeconds: 3600 });
    http = new HttpClient({ timeoutMs: 5000 });
  });
  afterAll(async () => {
    await http.close();
    await mock.close();
  });

  it('reuses a token until 60 s before it expires, then fetches a new one', async () => {
    let now = Date.now();
    const tokens = new AccessTokens({ account: parseServiceAccount(JSON.stringify(mock.serviceAccount())), http, now: () => now });
    const signal = AbortSignal.timeout(5000);
    const first = await tokens.get(signal);
    now += 3_539_000;
    expect(await tokens.get(signal)).toBe(first);
    expect(tokens.fetches).toBe(1);
    now += 2_000;
    const second = await tokens.get(signal);
    expect(second).not.toBe(first);
    expect(tokens.fetches).toBe(2);
    tokens.invalidate(first);
    expect(await tokens.get(signal)).toBe(second);
    tokens.invalidate(second);
    await tokens.get(signal);
    expect(tokens.fetches).toBe(3);
  });

  it('a caller whose signal aborts leaves the shared request to the others', async () => {
    const tokens = new AccessTokens({ account: parseServiceAccount(JSON.stringify(mock.serviceAccount())), http });
    const gone = tokens.get(AbortSignal.abort());
    const kept = tokens.get(AbortSignal.timeout(5000));
    // AbortSignal.abort()'s reason, an AbortError: the caller's own giving up, not a token failure.
    await expect(gone).rejects.toMatchObject({ name: 'AbortError' });
    await expect(kept).resolves.toMatch(/^ya29\.mock-/);
  });
});
