import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveOutboxKeys } from '../../src/store/encryption-key';
import { MessageCipher } from '../../src/store/message-cipher';
import type { NewDelivery } from '../../src/store/delivery-log';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';

const delivery: NewDelivery = {
  endpoint: '/fusionauth/sms',
  route: 'otp',
  channel: 'sms',
  phoneDigest: 'digest',
  phoneMasked: '+3361*****678',
  status: 'queued',
  test: false,
};
const message = { channel: 'sms', to: '+33612345678', text: 'Your code is 482913', code: '482913', test: false };
const ok = { provider: 'gw', outcome: 'ok' as const, latencyMs: 12, at: new Date().toISOString(), providerMessageId: 'm-1' };

describe('SQLite outbox', () => {
  let dir: string;
  let store: SqliteStore;
  let cipher: MessageCipher;
  const enqueue = (expiresInMs = 300_000) =>
    store.outbox.enqueue(delivery, { maxAttempts: 3, expiresAt: Date.now() + expiresInMs, seal: (id) => cipher.seal(message, id) });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-outbox-'));
    store = new SqliteStore(join(dir, 'relay.db'));
    cipher = new MessageCipher(randomBytes(32));
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the delivery record and its entry together, and neither the database nor its WAL holds the code, text or number', async () => {
    const record = await enqueue();
    expect(record.status).toBe('queued');
    expect((await store.deliveries.get(record.id))!.status).toBe('queued');
    const [item] = await store.outbox.list({});
    expect(item).toMatchObject({ id: record.id, state: 'pending', attempts: 0, maxAttempts: 3, phoneMasked: '+3361*****678' });
    expect(item).not.toHaveProperty('payload');
    const raw = Buffer.concat([await readFile(join(dir, 'relay.db')), await readFile(join(dir, 'relay.db-wal')).catch(() => Buffer.alloc(0))]);
    for (const secret of ['482913', '33612345678', 'Your code is']) expect(raw.includes(Buffer.from(secret))).toBe(false);
    const [claimed] = await store.outbox.claim('w1', 10, 5000);
    expect(cipher.open(claimed.payload!, record.id)).toEqual(message);
  });

  it('writes nothing when sealing fails', async () => {
    await expect(store.outbox.enqueue(delivery, { maxAttempts: 3, expiresAt: Date.now() + 1000, seal: () => { throw new Error('no key'); } })).rejects.toThrow('no key');
    expect(await store.deliveries.list({})).toHaveLength(0);
  });

  it('leases each item to one worker; a lapsed lease lets another take it; only the holder may change it', async () => {
    const { id } = await enqueue();
    const now = Date.now();
    expect(await store.outbox.claim('w1', 10, 5000, now)).toHaveLength(1);
    expect(await store.outbox.claim('w2', 10, 5000, now + 1000)).toHaveLength(0);
    const taken = await store.outbox.claim('w2', 10, 5000, now + 6000);
    expect(taken.map((i) => i.id)).toEqual([id]);
    expect(await store.outbox.finish(id, 'w1', { state: 'retry', nextAttemptAt: now, error: 'late', countAttempt: true })).toBe(false);
    expect((await store.outbox.list({}))[0]).toMatchObject({ state: 'leased', attempts: 0 });
  });

  it('a second connection to the same file never claims what the first holds', async () => {
    const other = new SqliteStore(join(dir, 'relay.db'));
    try {
      for (let i = 0; i < 6; i++) await enqueue();
      const a = await store.outbox.claim('w1', 4, 5000);
      const b = await other.outbox.claim('w2', 4, 5000);
      expect(a).toHaveLength(4);
      expect(b).toHaveLength(2);
      expect(new Set([...a, ...b].map((i) => i.id)).size).toBe(6);
    } finally {
      await other.close();
    }
  });

  it('done: records the winning attempt, marks the delivery delivered and removes the entry, in one step', async () => {
    const { id } = await enqueue();
    await store.outbox.claim('w1', 1, 5000);
    expect(await store.outbox.finish(id, 'w1', { state: 'done', attempt: ok, providerMessageId: 'm-1' })).toBe(true);
    expect(await store.outbox.list({})).toHaveLength(0);
    const record = await store.deliveries.get(id);
    expect(record).toMatchObject({ status: 'delivered', providerMessageId: 'm-1' });
    expect(record!.attempts).toEqual([expect.objectContaining({ provider: 'gw', outcome: 'ok' })]);
  });

  it('retry counts the attempt and waits; dead and expired drop the sealed message and mark the delivery', async () => {
    const a = await enqueue();
    const b = await enqueue();
    const now = Date.now();
    await store.outbox.claim('w1', 2, 5000, now);
    await store.outbox.finish(a.id, 'w1', { state: 'retry', nextAttemptAt: now + 60_000, error: 'gw: 503', countAttempt: true });
    expect(await store.outbox.claim('w1', 2, 5000, now + 1000)).toHaveLength(0);
    // Due again: a (one attempt spent) and b, whose lease lapsed meanwhile.
    const again = await store.outbox.claim('w1', 2, 5000, now + 61_000);
    expect(Object.fromEntries(again.map((i) => [i.id, i.attempts]))).toEqual({ [a.id]: 1, [b.id]: 0 });
    await store.outbox.finish(a.id, 'w1', { state: 'dead', error: 'gw: 503', countAttempt: true });
    await store.outbox.finish(b.id, 'w1', { state: 'expired', error: 'too late', countAttempt: false });
    const dead = await store.outbox.list({ state: 'dead' });
    expect(dead).toEqual([expect.objectContaining({ id: a.id, attempts: 2, lastError: 'gw: 503' })]);
    expect((await store.deliveries.get(a.id))!.status).toBe('dead');
    expect((await store.deliveries.get(b.id))!.status).toBe('expired');
    const payloads = store.db.prepare('SELECT payload FROM outbox').all() as { payload: Buffer | null }[];
    expect(payloads.every((p) => p.payload === null)).toBe(true);
    expect(await store.outbox.counts()).toEqual({ pending: 0, leased: 0, dead: 1, expired: 1 });
    expect(await store.outbox.prune(Date.now() + 1000)).toBe(2);
  });

  it('release hands a stopping worker’s items back, due now', async () => {
    await enqueue();
    await enqueue();
    await store.outbox.claim('w1', 2, 60_000);
    expect(await store.outbox.release('w1')).toBe(2);
    expect(await store.outbox.claim('w2', 2, 5000)).toHaveLength(2);
  });
});

describe('outbox sealing', () => {
  it('opens only under the id it was sealed for, untampered, with a key it knows; previous keys open old items', () => {
    const oldKey = randomBytes(32);
    const old = new MessageCipher(oldKey);
    const sealed = old.seal(message, 'id-1');
    expect(() => old.open(sealed, 'id-2')).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => old.open(tampered, 'id-1')).toThrow();
    expect(() => new MessageCipher(randomBytes(32)).open(sealed, 'id-1')).toThrow(/encryptionKey changed/);
    const rotated = new MessageCipher(randomBytes(32), [oldKey]);
    expect(rotated.open(sealed, 'id-1')).toEqual(message);
  });

  it('keeps its key out of the database: storage.encryptionKey, else <db>.key (0600) made once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-key-'));
    try {
      const url = 'sqlite:data/relay.db';
      const first = resolveOutboxKeys({ url, previousEncryptionKeys: [] }, dir);
      const keyFile = join(dir, 'data', 'relay.db.key');
      expect(first.source).toBe(keyFile);
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      expect(resolveOutboxKeys({ url, previousEncryptionKeys: [] }, dir).current.equals(first.current)).toBe(true);
      const given = randomBytes(32).toString('base64');
      expect(resolveOutboxKeys({ url, encryptionKey: given, previousEncryptionKeys: [] }, dir).current.toString('base64')).toBe(given);
      expect(() => resolveOutboxKeys({ url: 'postgres://127.0.0.1/relay', previousEncryptionKeys: [] }, dir)).toThrow(/storage.encryptionKey is required/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
