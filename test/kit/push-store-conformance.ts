import type { JWK } from 'jose';
import { DuplicateTargetName, type NewDispatchTarget } from '../../src/store/dispatch-targets';
import type { Store } from '../../src/store/store';

/**
 * The push repositories' contract (targets, redeem tokens, request ids), run against every engine: SQLite here,
 * PostgreSQL when it implements the same interfaces. `factory` returns a fresh, empty store.
 */
export function describePushStoreConformance(engine: string, factory: () => Promise<Store>): void {
  const sig: JWK = { kty: 'EC', crv: 'P-256', x: 'x-sig', y: 'y-sig' };
  const enc: JWK = { kty: 'OKP', crv: 'X25519', x: 'x-enc', kid: 'k1' };
  const target = (over: Partial<NewDispatchTarget> = {}): NewDispatchTarget => ({
    name: 'Phone',
    userId: 'user-1',
    username: 'jeff',
    target: 'fcm-token-1',
    signatureKey: sig,
    encryptionKey: enc,
    ...over,
  });

  describe(`${engine} store: push repositories`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(() => store.close());

    describe('targets', () => {
      it('creates a target, reads it back whole, and lists it by username, user id and phone digest', async () => {
        const t = await store.targets.create(target({ deviceId: 'dev-1', dispatcher: 'push', phoneDigest: 'digest-1', phoneMasked: '+1303****212' }));
        expect(t).toMatchObject({ name: 'Phone', userId: 'user-1', username: 'jeff', deviceId: 'dev-1', dispatcher: 'push', state: 'active' });
        expect(await store.targets.get(t.id)).toEqual(t);
        expect(t.signatureKey).toEqual(sig);
        expect(t.encryptionKey).toEqual(enc);
        for (const q of [{ username: 'jeff' }, { userId: 'user-1' }, { phoneDigest: 'digest-1' }]) {
          expect((await store.targets.list(q)).map((x) => x.id)).toEqual([t.id]);
        }
        expect(await store.targets.list({ username: 'nobody' })).toEqual([]);
        expect(await store.targets.get('00000000-0000-4000-8000-000000000000')).toBeUndefined();
      });

      it('refuses a second target with the same name for the same user, by username or by user id', async () => {
        await store.targets.create(target());
        await expect(store.targets.create(target({ userId: 'user-2' }))).rejects.toBeInstanceOf(DuplicateTargetName);
        await expect(store.targets.create(target({ username: undefined }))).rejects.toBeInstanceOf(DuplicateTargetName);
        const other = await store.targets.create(target({ userId: 'user-2', username: 'anna' }));
        expect(other.name).toBe('Phone');
        const second = await store.targets.create(target({ name: 'Tablet' }));
        await expect(store.targets.update(second.id, { name: 'Phone' })).rejects.toBeInstanceOf(DuplicateTargetName);
      });

      it('updates token, name and state, and marks a target unregistered only while it holds that token', async () => {
        const t = await store.targets.create(target());
        expect(await store.targets.markUnregistered(t.id, 'stale-token', 'UNREGISTERED')).toBe(false);
        expect(await store.targets.markUnregistered(t.id, 'fcm-token-1', 'UNREGISTERED')).toBe(true);
        expect(await store.targets.get(t.id)).toMatchObject({ state: 'unregistered', stateReason: 'UNREGISTERED' });
        expect(await store.targets.markUnregistered(t.id, 'fcm-token-1', 'UNREGISTERED')).toBe(false);
        const revived = await store.targets.update(t.id, { target: 'fcm-token-2', name: 'New', state: 'active', stateReason: null });
        expect(revived).toMatchObject({ target: 'fcm-token-2', name: 'New', state: 'active' });
        expect(revived!.stateReason).toBeUndefined();
        expect(await store.targets.update('00000000-0000-4000-8000-000000000000', { name: 'x' })).toBeUndefined();
      });

      it('lists oldest first, also for targets made in the same millisecond', async () => {
        const made = [];
        for (let i = 0; i < 6; i++) made.push((await store.targets.create(target({ name: `phone-${i}`, userId: 'user-order' }))).id);
        expect((await store.targets.list({ userId: 'user-order' })).map((t) => t.id)).toEqual(made);
      });

      it('deletes once', async () => {
        const t = await store.targets.create(target());
        expect(await store.targets.delete(t.id)).toBe(true);
        expect(await store.targets.delete(t.id)).toBe(false);
        expect(await store.targets.get(t.id)).toBeUndefined();
      });
    });

    describe('redeem tokens', () => {
      const rec = (hash: string, expiresAt: number) => ({ hash, sealed: Buffer.from([1, 2, 3, 250]), expiresAt, createdAt: 1000 });

      it('gives a record to exactly one claim, and none after it expired', async () => {
        await store.redeemTokens.put(rec('h1', 5000));
        await store.redeemTokens.put(rec('h2', 5000));
        const claims = await Promise.all([store.redeemTokens.claim('h1', 4000), store.redeemTokens.claim('h1', 4000)]);
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect(claims.find(Boolean)).toEqual(rec('h1', 5000));
        expect(await store.redeemTokens.claim('h2', 5000)).toBeUndefined();
        expect(await store.redeemTokens.claim('nope', 0)).toBeUndefined();
      });

      it('deletes and purges', async () => {
        await store.redeemTokens.put(rec('a', 100));
        await store.redeemTokens.put(rec('b', 200));
        await store.redeemTokens.put(rec('c', 300));
        await store.redeemTokens.delete('c');
        expect(await store.redeemTokens.purgeExpired(150)).toBe(1);
        expect(await store.redeemTokens.claim('a', 0)).toBeUndefined();
        expect(await store.redeemTokens.claim('b', 0)).toBeDefined();
        expect(await store.redeemTokens.claim('c', 0)).toBeUndefined();
      });
    });

    describe('request ids', () => {
      it('lets a live id be claimed once, and again only after its memory lapsed', async () => {
        const later = Date.now() + 60_000;
        expect(await store.requestIds.claim('t1:abc', later)).toBe(true);
        expect(await store.requestIds.claim('t1:abc', later)).toBe(false);
        expect(await store.requestIds.claim('t2:abc', later)).toBe(true);
        expect(await store.requestIds.claim('old', Date.now() - 1)).toBe(true);
        expect(await store.requestIds.claim('old', later)).toBe(true);
        expect(await store.requestIds.purgeExpired(Date.now() + 120_000)).toBe(3);
      });
    });
  });
}
