import { mkdtempSync, rmSync } from 'node:fs';
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
