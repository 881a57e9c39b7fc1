import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { StoreUnavailableError } from '../../src/store/store-unavailable';

const delivery = (n: number) => ({
  endpoint: '/fusionauth/sms',
  route: 'otp',
  channel: 'sms' as const,
  phoneDigest: `digest-${n}`,
  phoneMasked: '+1303****212',
  status: 'sending' as const,
  test: false,
});

/** Another connection to the same file: PRAGMA data_version changes once per commit made by anyone else. */
async function storeWithObserver() {
  const file = join(await mkdtemp(join(tmpdir(), 'relay-batch-')), 'relay.db');
  const store = new SqliteStore(file);
  const observer = new Database(file, { readonly: true });
  const commits = () => observer.pragma('data_version', { simple: true }) as number;
  return { store, observer, commits };
}

describe('SQLite group commit', () => {
  it('commits writes made in one turn of the event loop together, and each caller sees its own write done', async () => {
    const { store, observer, commits } = await storeWithObserver();
    const before = commits();
    const records = await Promise.all(Array.from({ length: 10 }, (_, i) => store.deliveries.create(delivery(i))));
    expect(commits() - before).toBe(1);
    for (const r of records) expect(await store.deliveries.get(r.id)).toMatchObject({ phoneDigest: r.phoneDigest });
    observer.close();
    await store.close();
  });

  it('refuses a write that fails on its own and commits the others', async () => {
    const { store, observer } = await storeWithObserver();
    const good = store.deliveries.create(delivery(1));
    const bad = store.deliveries.finish('00000000-0000-4000-8000-000000000bad', 'delivered', {
      provider: 'gateway',
      outcome: 'ok',
      latencyMs: 1,
      at: new Date().toISOString(),
    });
    // Matched by message: the addon makes SqliteErrors with the first-loaded class, from another test file's realm.
    await expect(bad).rejects.toMatchObject({ name: 'SqliteError', message: expect.stringMatching(/FOREIGN KEY/) });
    const record = await good;
    expect(await store.deliveries.get(record.id)).toBeDefined();
    observer.close();
    await store.close();
  });

  it('a full disk mid-batch: every write is either committed and resolved, or refused as unavailable; none is both or neither', async () => {
    const { store, observer } = await storeWithObserver();
    store.db.pragma(`max_page_count = ${store.db.pragma('page_count', { simple: true }) as number}`);
    // One turn of the event loop: these share one batch, and some record needs a page there is no room for.
    // SQLITE_FULL may roll the whole transaction back, not just the failing write.
    const settled = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => store.deliveries.create(delivery(i))));
    const failed = settled.filter((s) => s.status === 'rejected').map((s) => (s as PromiseRejectedResult).reason as unknown);
    const made = settled.filter((s) => s.status === 'fulfilled').map((s) => (s as PromiseFulfilledResult<{ id: string }>).value.id);
    expect(failed.length).toBeGreaterThan(0);
    for (const e of failed) expect(e).toMatchObject({ constructor: StoreUnavailableError, reason: expect.stringMatching(/^SQLITE_FULL/) });
    const rows = (observer.prepare('SELECT id FROM deliveries').all() as { id: string }[]).map((r) => r.id);
    expect(rows.sort()).toEqual(made.sort());
    observer.close();
    await store.close();
  });

  it('commits what is still queued when the store closes', async () => {
    const { store, observer } = await storeWithObserver();
    const record = store.deliveries.create(delivery(7));
    await store.close();
    const { id } = await record;
    expect(observer.prepare('SELECT status FROM deliveries WHERE id = ?').get(id)).toEqual({ status: 'sending' });
    observer.close();
  });
});
