import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
