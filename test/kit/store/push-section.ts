import { randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import { DuplicateTargetName, type NewDispatchTarget } from '../../../src/store/dispatch-targets';
import { itShared, type StoreSection } from './store-kit';

const sig: JWK = { kty: 'EC', crv: 'P-256', x: 'x-sig', y: 'y-sig' };
const enc: JWK = { kty: 'OKP', crv: 'X25519', x: 'x-enc', kid: 'k1' };

/** A target of a user no other case uses, so cases can share one database and still list exactly. */
function target(over: Partial<NewDispatchTarget> = {}): NewDispatchTarget {
  const user = randomUUID();
  return { name: 'Phone', userId: `user-${user}`, username: `jeff-${user}`, target: 'fcm-token-1', signatureKey: sig, encryptionKey: enc, ...over };
}

/**
 * The push repositories: `store.targets` (dispatch targets), `store.redeemTokens` and `store.requestIds`, with
 * what two replicas on one database must agree on: a token is redeemed once and a request id is accepted once,
 * whichever replicas race for it.
 */
export const pushSection: StoreSection = (kit) => {
  describe('dispatch targets', () => {
    it('creates a target, reads it back whole, and lists it by username, user id and phone digest', async () => {
      const digest = `digest-${randomUUID()}`;
      const t = await kit.a.targets.create(target({ deviceId: 'dev-1', dispatcher: 'push', phoneDigest: digest, phoneMasked: '+1303****212' }));
      expect(t).toMatchObject({ name: 'Phone', deviceId: 'dev-1', dispatcher: 'push', state: 'active' });
      expect(await kit.a.targets.get(t.id)).toEqual(t);
      expect(t.signatureKey).toEqual(sig);
      expect(t.encryptionKey).toEqual(enc);
      for (const q of [{ username: t.username! }, { userId: t.userId! }, { phoneDigest: digest }]) {
        expect((await kit.a.targets.list(q)).map((x) => x.id)).toEqual([t.id]);
      }
      expect(await kit.a.targets.list({ username: `nobody-${randomUUID()}` })).toEqual([]);
      expect(await kit.a.targets.get('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    });

    it('refuses a second target with the same name for the same user, by username or by user id', async () => {
      const first = await kit.a.targets.create(target());
      await expect(kit.a.targets.create(target({ username: first.username }))).rejects.toBeInstanceOf(DuplicateTargetName);
      await expect(kit.a.targets.create(target({ userId: first.userId, username: undefined }))).rejects.toBeInstanceOf(DuplicateTargetName);
      const other = await kit.a.targets.create(target());
      expect(other.name).toBe('Phone');
      const second = await kit.a.targets.create(target({ userId: first.userId, username: first.username, name: 'Tablet' }));
      await expect(kit.a.targets.update(second.id, { name: 'Phone' })).rejects.toBeInstanceOf(DuplicateTargetName);
    });

    it('updates token, name and state, and marks a target unregistered only while it holds that token', async () => {
      const t = await kit.a.targets.create(target());
      expect(await kit.a.targets.markUnregistered(t.id, 'stale-token', 'UNREGISTERED')).toBe(false);
      expect(await kit.a.targets.markUnregistered(t.id, 'fcm-token-1', 'UNREGISTERED')).toBe(true);
      expect(await kit.a.targets.get(t.id)).toMatchObject({ state: 'unregistered', stateReason: 'UNREGISTERED' });
      expect(await kit.a.targets.markUnregistered(t.id, 'fcm-token-1', 'UNREGISTERED')).toBe(false);
      const revived = await kit.a.targets.update(t.id, { target: 'fcm-token-2', name: 'New', state: 'active', stateReason: null });
      expect(revived).toMatchObject({ target: 'fcm-token-2', name: 'New', state: 'active' });
      expect(revived!.stateReason).toBeUndefined();
      expect(await kit.a.targets.update('00000000-0000-4000-8000-000000000000', { name: 'x' })).toBeUndefined();
    });

    it('lists oldest first, also for targets made in the same millisecond', async () => {
      const userId = `user-order-${randomUUID()}`;
      const made = [];
      for (let i = 0; i < 6; i++) made.push((await kit.a.targets.create(target({ name: `phone-${i}`, userId, username: undefined }))).id);
      expect((await kit.a.targets.list({ userId })).map((t) => t.id)).toEqual(made);
    });

    it('deletes once', async () => {
      const t = await kit.a.targets.create(target());
      expect(await kit.a.targets.delete(t.id)).toBe(true);
      expect(await kit.a.targets.delete(t.id)).toBe(false);
      expect(await kit.a.targets.get(t.id)).toBeUndefined();
    });

    itShared(kit, 'shows a target registered through one replica to the other, names unique across both', async () => {
      const t = await kit.a.targets.create(target());
      expect(await kit.b.targets.get(t.id)).toEqual(t);
      await expect(kit.b.targets.create(target({ userId: t.userId, username: t.username }))).rejects.toBeInstanceOf(DuplicateTargetName);
      await kit.b.targets.update(t.id, { name: 'Renamed' });
      expect((await kit.a.targets.get(t.id))!.name).toBe('Renamed');
    });
  });

  describe('redeem tokens', () => {
    const rec = (expiresAt: number) => ({ hash: `h-${randomUUID()}`, sealed: Buffer.from([1, 2, 3, 250]), expiresAt, createdAt: 1000 });

    it('gives a record to exactly one claim, and none after it expired', async () => {
      const [live, late] = [rec(5000), rec(5000)];
      await kit.a.redeemTokens.put(live);
      await kit.a.redeemTokens.put(late);
      const claims = await Promise.all([kit.a.redeemTokens.claim(live.hash, 4000), kit.a.redeemTokens.claim(live.hash, 4000)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(claims.find(Boolean)).toEqual(live);
      expect(await kit.a.redeemTokens.claim(late.hash, 5000)).toBeUndefined();
      expect(await kit.a.redeemTokens.claim('nope', 0)).toBeUndefined();
    });

    it('deletes and purges', async () => {
      const [x, y, z] = [rec(100), rec(200), rec(300)];
      for (const r of [x, y, z]) await kit.a.redeemTokens.put(r);
      await kit.a.redeemTokens.delete(z.hash);
      expect(await kit.a.redeemTokens.purgeExpired(150)).toBeGreaterThanOrEqual(1);
      expect(await kit.a.redeemTokens.claim(x.hash, 0)).toBeUndefined();
      expect(await kit.a.redeemTokens.claim(y.hash, 0)).toEqual(y);
      expect(await kit.a.redeemTokens.claim(z.hash, 0)).toBeUndefined();
    });

    itShared(kit, 'redeems a token once when two replicas race for it', async () => {
      for (let i = 0; i < 10; i++) {
        const r = rec(Date.now() + 60_000);
        await kit.a.redeemTokens.put(r);
        const claims = await Promise.all([kit.a.redeemTokens.claim(r.hash, Date.now()), kit.b.redeemTokens.claim(r.hash, Date.now())]);
        expect(claims.filter(Boolean)).toHaveLength(1);
      }
    });
  });

  describe('request ids', () => {
    it('lets a live id be claimed once, and again only after its memory lapsed', async () => {
      const id = randomUUID();
      const later = Date.now() + 60_000;
      expect(await kit.a.requestIds.claim(`t1:${id}`, later)).toBe(true);
      expect(await kit.a.requestIds.claim(`t1:${id}`, later)).toBe(false);
      expect(await kit.a.requestIds.claim(`t2:${id}`, later)).toBe(true);
      expect(await kit.a.requestIds.claim(`old:${id}`, Date.now() - 1)).toBe(true);
      expect(await kit.a.requestIds.claim(`old:${id}`, later)).toBe(true);
      expect(await kit.a.requestIds.purgeExpired(Date.now() + 120_000)).toBeGreaterThanOrEqual(3);
      expect(await kit.a.requestIds.claim(`t1:${id}`, later)).toBe(true);
    });

    itShared(kit, 'accepts an id once when two replicas see the same request at once', async () => {
      for (let i = 0; i < 10; i++) {
        const key = `race:${randomUUID()}`;
        const answers = await Promise.all([kit.a.requestIds.claim(key, Date.now() + 60_000), kit.b.requestIds.claim(key, Date.now() + 60_000)]);
        expect(answers.sort()).toEqual([false, true]);
      }
    });
  });
};
