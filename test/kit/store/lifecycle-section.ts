import { StoreUnavailableError } from '../../../src/store/store-unavailable';
import { itShared, newDelivery, type StoreSection } from './store-kit';

/** Opening (migrations), readiness and closing: what every engine must do whatever repositories it has. */
export const lifecycleSection: StoreSection = (kit) => {
  describe('lifecycle', () => {
    it(`reports its engine as ${kit.spec.kind}`, () => {
      expect(kit.a.kind).toBe(kit.spec.kind);
      expect(kit.b.kind).toBe(kit.spec.kind);
    });

    it('answers ping when open', async () => {
      await expect(kit.a.ping()).resolves.toBeUndefined();
      await expect(kit.b.ping()).resolves.toBeUndefined();
    });

    itShared(kit, 'two stores started at once on a fresh database both migrate it and see each other’s writes', async () => {
      const rec = await kit.a.deliveries.create(newDelivery());
      await kit.b.deliveries.addAttempt(rec.id, { provider: 'p', outcome: 'ok', latencyMs: 1, at: new Date().toISOString() });
      expect((await kit.a.deliveries.get(rec.id))?.attempts).toHaveLength(1);
      expect(await kit.b.deliveries.get(rec.id)).toMatchObject({ id: rec.id, phoneDigest: rec.phoneDigest });
    });

    itShared(kit, 'a store opened later finds the migrations applied and keeps every record and secret', async () => {
      const rec = await kit.a.deliveries.create(newDelivery());
      const key = await kit.a.secret('lifecycle-kept');
      const [c, d] = await Promise.all([kit.open(), kit.open()]);
      expect(await c.deliveries.get(rec.id)).toEqual(await kit.a.deliveries.get(rec.id));
      expect(await d.secret('lifecycle-kept')).toEqual(key);
    });

    if (!kit.shared) {
      it(`keeps two stores apart (${kit.spec.notShared})`, async () => {
        const rec = await kit.a.deliveries.create(newDelivery());
        expect(await kit.b.deliveries.get(rec.id)).toBeUndefined();
        expect(await kit.a.secret('apart')).not.toEqual(await kit.b.secret('apart'));
      });
    }

    it('closes once, accepts a second close, and afterwards every call fails as unavailable (503), not as a crash', async () => {
      const s = await kit.open();
      await s.ping();
      const rec = await s.deliveries.create(newDelivery());
      await s.close();
      await expect(s.close()).resolves.toBeUndefined();
      await expect(s.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.secret('after-close')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.deliveries.create(newDelivery())).rejects.toMatchObject({ status: 503, code: '[unavailable]', engine: kit.spec.kind });
      await expect(s.deliveries.get(rec.id)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.outbox.counts()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.targets.get(rec.id)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.redeemTokens.purgeExpired(Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.requestIds.purgeExpired(Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
};
