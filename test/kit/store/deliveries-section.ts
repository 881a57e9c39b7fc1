import type { AttemptRecord } from '../../../src/store/delivery-log';
import { StoreUnavailableError } from '../../../src/store/store-unavailable';
import { attempt, ISO_TIMESTAMP, itShared, newDelivery, nextMillisecond, type StoreSection } from './store-kit';

/** `store.deliveries`: every accepted request and each of its attempts, as the admin API and the dispatcher use them. */
export const deliveriesSection: StoreSection = (kit) => {
  describe('deliveries', () => {
    it('creates a record with an id and ISO timestamps, and reads back exactly what it returned', async () => {
      const input = newDelivery({ channel: 'voice', test: true });
      const rec = await kit.a.deliveries.create(input);
      expect(rec).toMatchObject({ ...input, attempts: [] });
      expect(rec.id).toEqual(expect.any(String));
      expect(rec.createdAt).toMatch(ISO_TIMESTAMP);
      expect(rec.updatedAt).toBe(rec.createdAt);
      expect(await kit.a.deliveries.get(rec.id)).toEqual(rec);
    });

    it('keeps an absent request id absent and a false test flag false', async () => {
      const rec = await kit.a.deliveries.create(newDelivery({ requestId: undefined, test: false }));
      const read = await kit.a.deliveries.get(rec.id);
      expect(read?.requestId).toBeUndefined();
      expect(read?.test).toBe(false);
    });

    it('answers undefined for an id it never gave out', async () => {
      expect(await kit.a.deliveries.get('00000000-0000-4000-8000-00000000dead')).toBeUndefined();
      expect(await kit.a.deliveries.get('not-even-a-uuid')).toBeUndefined();
    });

    it('returns attempts in the order they were added, every field intact', async () => {
      const rec = await kit.a.deliveries.create(newDelivery());
      const added: AttemptRecord[] = [
        attempt({ provider: 'push', verdict: 'failover', vendorStatus: 404, vendorCode: 'UNREGISTERED', error: 'token not registered', latencyMs: 41.75 }),
        attempt({ provider: 'twilio', verdict: 'retryable', vendorStatus: 429, vendorCode: '20429', error: 'too many requests', latencyMs: 120 }),
        attempt({ provider: 'gateway', outcome: 'ok', latencyMs: 8.125, providerMessageId: 'gw-77' }),
      ];
      for (const a of added) await kit.a.deliveries.addAttempt(rec.id, a);
      const read = await kit.a.deliveries.get(rec.id);
      expect(read?.attempts).toEqual(added);
      for (const a of read!.attempts) expect(a.at).toMatch(ISO_TIMESTAMP);
    });

    it('refuses an attempt for a delivery that does not exist, as the caller’s mistake, not as an unavailable store', async () => {
      const refused = kit.a.deliveries.addAttempt('00000000-0000-4000-8000-00000000beef', attempt());
      await expect(refused).rejects.toMatchObject({ message: expect.stringMatching(/foreign key|no delivery/i) });
      await expect(refused).rejects.not.toBeInstanceOf(StoreUnavailableError);
    });

    it('updates the status, and a later update without a provider message id keeps the one it had', async () => {
      const rec = await kit.a.deliveries.create(newDelivery());
      await nextMillisecond();
      await kit.a.deliveries.setStatus(rec.id, 'delivered', 'SM-123');
      const delivered = await kit.a.deliveries.get(rec.id);
      expect(delivered).toMatchObject({ status: 'delivered', providerMessageId: 'SM-123', createdAt: rec.createdAt });
      expect(delivered!.updatedAt).toMatch(ISO_TIMESTAMP);
      expect(Date.parse(delivered!.updatedAt)).toBeGreaterThan(Date.parse(rec.createdAt));
      await kit.a.deliveries.setStatus(rec.id, 'failed');
      expect(await kit.a.deliveries.get(rec.id)).toMatchObject({ status: 'failed', providerMessageId: 'SM-123' });
    });

    it('finishes a delivery with its last attempt and its status in one call, and refuses an unknown one', async () => {
      const rec = await kit.a.deliveries.create(newDelivery());
      await kit.a.deliveries.addAttempt(rec.id, attempt({ provider: 'push', verdict: 'failover', vendorCode: 'no-device' }));
      const winner = attempt({ provider: 'gateway', outcome: 'ok', providerMessageId: 'gw-9' });
      await kit.a.deliveries.finish(rec.id, 'delivered', winner, 'gw-9');
      const read = await kit.a.deliveries.get(rec.id);
      expect(read).toMatchObject({ status: 'delivered', providerMessageId: 'gw-9' });
      expect(read!.attempts.map((a) => a.provider)).toEqual(['push', 'gateway']);
      await kit.a.deliveries.finish(rec.id, 'failed');
      expect((await kit.a.deliveries.get(rec.id))!.attempts).toHaveLength(2);
      await expect(kit.a.deliveries.finish('00000000-0000-4000-8000-00000000cafe', 'delivered', winner)).rejects.toMatchObject({ message: expect.stringMatching(/foreign key|no delivery/i) });
    });

    it('lists one number’s deliveries newest first, honouring limit and since (inclusive)', async () => {
      const phoneDigest = newDelivery().phoneDigest;
      const made = [];
      for (let i = 0; i < 5; i++) {
        made.push(await kit.a.deliveries.create(newDelivery({ phoneDigest, route: `r${i}` })));
        await nextMillisecond();
      }
      await kit.a.deliveries.create(newDelivery()); // another number, never listed below
      await kit.a.deliveries.addAttempt(made[4].id, attempt({ provider: 'listed' }));

      const all = await kit.a.deliveries.list({ phoneDigest });
      expect(all.map((r) => r.route)).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);
      expect(all[0].attempts).toEqual([expect.objectContaining({ provider: 'listed' })]);
      expect((await kit.a.deliveries.list({ phoneDigest, limit: 2 })).map((r) => r.route)).toEqual(['r4', 'r3']);
      expect((await kit.a.deliveries.list({ phoneDigest, since: made[2].createdAt })).map((r) => r.route)).toEqual(['r4', 'r3', 'r2']);
      expect(await kit.a.deliveries.list({ phoneDigest, since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    });

    it('lists across numbers newest first when no number is given', async () => {
      const since = new Date().toISOString();
      await nextMillisecond();
      const first = await kit.a.deliveries.create(newDelivery());
      await nextMillisecond();
      const second = await kit.a.deliveries.create(newDelivery());
      const listed = (await kit.a.deliveries.list({ since })).map((r) => r.id);
      expect(listed.indexOf(second.id)).toBeGreaterThanOrEqual(0);
      expect(listed.indexOf(second.id)).toBeLessThan(listed.indexOf(first.id));
    });

    it('lists deliveries made in quick succession newest first, even within one millisecond', async () => {
      const phoneDigest = newDelivery().phoneDigest;
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await kit.a.deliveries.create(newDelivery({ phoneDigest }))).id);
      expect((await kit.a.deliveries.list({ phoneDigest })).map((r) => r.id)).toEqual([...ids].reverse());
    });

    itShared(kit, 'shows a record created on one replica, with attempts and status from the other, on both', async () => {
      const rec = await kit.a.deliveries.create(newDelivery());
      await kit.b.deliveries.addAttempt(rec.id, attempt({ provider: 'push' }));
      await kit.a.deliveries.addAttempt(rec.id, attempt({ provider: 'gateway', outcome: 'ok', providerMessageId: 'gw-1' }));
      await kit.b.deliveries.setStatus(rec.id, 'delivered', 'gw-1');
      const fromA = await kit.a.deliveries.get(rec.id);
      expect(fromA).toMatchObject({ status: 'delivered', providerMessageId: 'gw-1' });
      expect(fromA?.attempts.map((a) => a.provider)).toEqual(['push', 'gateway']);
      expect(await kit.b.deliveries.get(rec.id)).toEqual(fromA);
    });

    itShared(kit, 'keeps every attempt when two replicas add attempts to one delivery at the same time', async () => {
      const rec = await kit.a.deliveries.create(newDelivery());
      const names = Array.from({ length: 24 }, (_, i) => `p${i}`);
      await Promise.all(names.map((provider, i) => (i % 2 ? kit.a : kit.b).deliveries.addAttempt(rec.id, attempt({ provider }))));
      const read = await kit.a.deliveries.get(rec.id);
      expect(read?.attempts).toHaveLength(names.length);
      expect(read!.attempts.map((a) => a.provider).sort()).toEqual([...names].sort());
    });
  });
};
