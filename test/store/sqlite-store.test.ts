import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { describeStoreConformance } from '../kit/store-conformance';

const dir = mkdtempSync(join(tmpdir(), 'relay-store-kit-'));

describeStoreConformance({
  name: 'sqlite (file)',
  kind: 'sqlite',
  create: async () => new SqliteStore(join(dir, 'relay.db')),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});

describeStoreConformance({
  name: 'sqlite (:memory:)',
  kind: 'sqlite',
  create: async () => new SqliteStore(':memory:'),
  notShared: 'each :memory: store is a database of its own',
});

describe('a SQLite store file', () => {
  it('keeps its keys (phone digests, limits, dedupe) in 0600 files beside it, not in the database, and every store on the file shares them', async () => {
    const own = mkdtempSync(join(tmpdir(), 'relay-store-key-'));
    const file = join(own, 'relay.db');
    const a = new SqliteStore(file);
    const b = new SqliteStore(file);
    try {
      for (const name of ['phone-digest', 'limit-key', 'dedupe-key']) {
        const key = await a.secret(name);
        expect(await b.secret(name)).toEqual(key);
        expect((statSync(`${file}.${name}.key`).mode & 0o777).toString(8)).toBe('600');
      }
      const raw = new Database(file, { readonly: true });
      expect(raw.prepare('SELECT COUNT(*) AS n FROM secrets').get()).toEqual({ n: 0 });
      raw.close();
    } finally {
      await Promise.all([a.close(), b.close()]);
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('goes on using the key a store made earlier kept in the database, so its stored digests still match', async () => {
    const own = mkdtempSync(join(tmpdir(), 'relay-store-oldkey-'));
    const file = join(own, 'relay.db');
    const old = Buffer.alloc(32, 7);
    const first = new SqliteStore(file);
    await first.close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO secrets (name, value) VALUES ('phone-digest', ?)").run(old);
    raw.close();
    const store = new SqliteStore(file);
    try {
      expect(await store.secret('phone-digest')).toEqual(old);
      expect(existsSync(`${file}.phone-digest.key`)).toBe(false);
    } finally {
      await store.close();
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('is created readable by its owner only, with its WAL, since it holds the key of its phone digests', async () => {
    const own = mkdtempSync(join(tmpdir(), 'relay-store-mode-'));
    const store = new SqliteStore(join(own, 'relay.db'));
    try {
      await store.deliveries.create({ endpoint: '/sms', route: 'r', channel: 'sms', phoneDigest: 'd', phoneMasked: '+1303****212', status: 'sending', test: false });
      for (const f of ['relay.db', 'relay.db-wal']) expect((statSync(join(own, f)).mode & 0o777).toString(8)).toBe('600');
    } finally {
      await store.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});
