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

/** What the store conformance kit cannot see: the bytes in the SQLite file itself, the cipher and where its key lives. */
describe('SQLite outbox at rest', () => {
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
