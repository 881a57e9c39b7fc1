import { randomBytes } from 'node:crypto';
import { MessageCipher } from '../../../src/store/message-cipher';
import type { Store } from '../../../src/store/store';
import { attempt, itShared, newDelivery, type StoreSection } from './store-kit';

const message = { channel: 'sms', to: '+33612345678', text: 'Your code is 482913', code: '482913', test: false };
const FAR = Date.now() + 10 * 365 * 86_400_000;

/**
 * `store.outbox`: async routes' queue as the worker uses it. The cases share one database, so each starts from an
 * empty outbox: whatever an earlier case left is claimed far in the future, finished dead and pruned.
 */
export const outboxSection: StoreSection = (kit) => {
  describe('outbox', () => {
    const cipher = new MessageCipher(randomBytes(32));
    const enqueue = (store: Store, expiresInMs = 300_000) =>
      store.outbox.enqueue(newDelivery({ status: 'queued' }), { maxAttempts: 3, expiresAt: Date.now() + expiresInMs, seal: (id) => cipher.seal(message, id) });

    beforeEach(async () => {
      for (const item of await kit.a.outbox.claim('sweeper', 1000, 1000, FAR)) {
        await kit.a.outbox.finish(item.id, 'sweeper', { state: 'dead', error: 'swept', countAttempt: false });
      }
      await kit.a.outbox.prune(FAR);
      // Each replica may be its own database (:memory:); sweep the second one too.
      if (!kit.shared) {
        for (const item of await kit.b.outbox.claim('sweeper', 1000, 1000, FAR)) await kit.b.outbox.finish(item.id, 'sweeper', { state: 'dead', error: 'swept', countAttempt: false });
        await kit.b.outbox.prune(FAR);
      }
    });

    it('writes the delivery record (queued) and its entry together; lists it without the message; a claim hands the sealed message back', async () => {
      const record = await enqueue(kit.a);
      expect(record.status).toBe('queued');
      expect((await kit.a.deliveries.get(record.id))!.status).toBe('queued');
      const [item] = await kit.a.outbox.list({});
      expect(item).toMatchObject({ id: record.id, state: 'pending', attempts: 0, maxAttempts: 3, route: 'otp', phoneMasked: '+1303*****212' });
      expect(item).not.toHaveProperty('payload');
      expect(await kit.a.outbox.counts()).toEqual({ pending: 1, leased: 0, dead: 0, expired: 0 });
      const [claimed] = await kit.a.outbox.claim('w1', 10, 5000);
      expect(cipher.open(claimed.payload!, record.id)).toEqual(message);
      expect(claimed).toMatchObject({ state: 'leased', leaseUntil: expect.any(Number) });
    });

    it('writes neither when the entry cannot be written: the record is rolled back with it', async () => {
      const delivery = newDelivery({ status: 'queued' });
      await expect(
        kit.a.outbox.enqueue(delivery, { maxAttempts: null as never, expiresAt: Date.now() + 1000, seal: (id) => cipher.seal(message, id) }),
      ).rejects.toMatchObject({ message: expect.stringMatching(/null/i) });
      expect(await kit.a.deliveries.list({ phoneDigest: delivery.phoneDigest })).toEqual([]);
    });

    it('leases each item to one worker; a lapsed lease lets another take it; only the holder may change it', async () => {
      const { id } = await enqueue(kit.a);
      const now = Date.now();
      expect(await kit.a.outbox.claim('w1', 10, 5000, now)).toHaveLength(1);
      expect(await kit.a.outbox.claim('w2', 10, 5000, now + 1000)).toHaveLength(0);
      expect((await kit.a.outbox.claim('w2', 10, 5000, now + 6000)).map((i) => i.id)).toEqual([id]);
      expect(await kit.a.outbox.finish(id, 'w1', { state: 'retry', nextAttemptAt: now, error: 'late', countAttempt: true })).toBe(false);
      expect((await kit.a.outbox.list({}))[0]).toMatchObject({ state: 'leased', attempts: 0 });
    });

    itShared(kit, 'never gives one item to two replicas claiming at once', async () => {
      for (let i = 0; i < 12; i++) await enqueue(kit.a);
      const [x, y] = await Promise.all([kit.a.outbox.claim('replica-a', 8, 5000), kit.b.outbox.claim('replica-b', 8, 5000)]);
      expect(x.length + y.length).toBe(12);
      expect(new Set([...x, ...y].map((i) => i.id)).size).toBe(12);
    });

    it('done: records the winning attempt, marks the delivery delivered and removes the entry', async () => {
      const { id } = await enqueue(kit.a);
      await kit.a.outbox.claim('w1', 1, 5000);
      const ok = attempt({ outcome: 'ok', providerMessageId: 'm-1' });
      expect(await kit.a.outbox.finish(id, 'w1', { state: 'done', attempt: ok, providerMessageId: 'm-1' })).toBe(true);
      expect(await kit.a.outbox.list({})).toEqual([]);
      const record = await kit.a.deliveries.get(id);
      expect(record).toMatchObject({ status: 'delivered', providerMessageId: 'm-1' });
      expect(record!.attempts).toEqual([ok]);
    });

    it('done after the lease lapsed: still recorded (the message went out), and the caller is told', async () => {
      const { id } = await enqueue(kit.a);
      const now = Date.now();
      await kit.a.outbox.claim('w1', 1, 1000, now);
      await kit.a.outbox.claim('w2', 1, 5000, now + 2000);
      expect(await kit.a.outbox.finish(id, 'w1', { state: 'done', attempt: attempt({ outcome: 'ok' }) })).toBe(false);
      expect((await kit.a.deliveries.get(id))!.status).toBe('delivered');
      expect(await kit.a.outbox.list({})).toEqual([]);
    });

    it('retry counts the attempt and waits; dead and expired are final, marked on the delivery, and pruned later', async () => {
      const a = await enqueue(kit.a);
      const b = await enqueue(kit.a);
      const now = Date.now();
      await kit.a.outbox.claim('w1', 2, 5000, now);
      await kit.a.outbox.finish(a.id, 'w1', { state: 'retry', nextAttemptAt: now + 60_000, error: 'gw: 503', countAttempt: true });
      expect(await kit.a.outbox.claim('w1', 2, 5000, now + 1000)).toHaveLength(0);
      const again = await kit.a.outbox.claim('w1', 2, 5000, now + 61_000);
      expect(Object.fromEntries(again.map((i) => [i.id, i.attempts]))).toEqual({ [a.id]: 1, [b.id]: 0 });
      await kit.a.outbox.finish(a.id, 'w1', { state: 'dead', error: 'gw: 503', countAttempt: true });
      await kit.a.outbox.finish(b.id, 'w1', { state: 'expired', error: 'too late', countAttempt: false });
      expect(await kit.a.outbox.list({ state: 'dead' })).toEqual([expect.objectContaining({ id: a.id, attempts: 2, lastError: 'gw: 503' })]);
      expect((await kit.a.deliveries.get(a.id))!.status).toBe('dead');
      expect((await kit.a.deliveries.get(b.id))!.status).toBe('expired');
      expect(await kit.a.outbox.counts()).toEqual({ pending: 0, leased: 0, dead: 1, expired: 1 });
      // Final items are never claimed again, however late.
      expect(await kit.a.outbox.claim('w1', 10, 5000, FAR)).toEqual([]);
      expect(await kit.a.outbox.prune(Date.now() - 60_000)).toBe(0);
      expect(await kit.a.outbox.prune(Date.now() + 1000)).toBe(2);
    });

    it('release hands a stopping worker’s items back, due now', async () => {
      await enqueue(kit.a);
      await enqueue(kit.a);
      await kit.a.outbox.claim('w1', 2, 60_000);
      expect(await kit.a.outbox.release('w1')).toBe(2);
      expect(await kit.a.outbox.claim('w2', 2, 5000)).toHaveLength(2);
    });
  });
};
