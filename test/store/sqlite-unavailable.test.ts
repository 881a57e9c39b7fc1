import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { postMessage, smsTo, type Answer } from '../kit/post-message';
import { startTestRelay, testConfig, type TestRelay } from '../kit/relay-harness';
import { startHttpPeer, type HttpPeer } from '../kit/servers/http-peer';

/**
 * A SQLite store that stops taking writes (locked by another writer, read-only, full) or is closed under a running
 * relay: every caller gets 503 `[unavailable]` with Retry-After and a log line says why, never a 500, and a
 * message already on its way is still delivered.
 */

const ADMIN = 'admin-token-0123456789abcdef';
const unavailable = { generalErrors: [{ code: '[unavailable]', message: 'the store is unavailable; retry later' }] };

describe('a SQLite store that cannot serve, under a running relay', () => {
  let dir: string;
  let relay: TestRelay;
  let gateway: HttpPeer | undefined;
  let locker: Database.Database | undefined;
  const outboxFile = () => join(dir, 'phone.jsonl');
  const sent = () => (existsSync(outboxFile()) ? readFileSync(outboxFile(), 'utf8').trim().split('\n').filter(Boolean).length : 0);
  const db = () => (relay.store as SqliteStore).db;

  async function start(overrides: Record<string, unknown> = {}): Promise<void> {
    relay = await startTestRelay(
      testConfig({
        storage: { url: `sqlite:${join(dir, 'relay.db')}` },
        admin: { token: ADMIN },
        endpoints: [
          { path: '/fusionauth/sms', auth: { basic: { username: 'fusionauth', password: 'test-password-0123456789' } }, route: 'otp' },
          { path: '/fusionauth/queued', auth: { basic: { username: 'fusionauth', password: 'test-password-0123456789' } }, route: 'queued' },
        ],
        routes: { otp: { providers: ['phone'], deadlineMs: 1500 }, queued: { providers: ['phone'], deadlineMs: 1500, delivery: 'async' } },
        providers: { phone: { type: 'log', print: 'none', outboxFile: outboxFile() } },
        ...overrides,
      }),
    );
    // Five seconds of blocking on a lock is right for production; a test need not wait that long to see SQLITE_BUSY.
    db().pragma('busy_timeout = 50');
  }

  function expectUnavailable(answer: Answer): void {
    expect({ status: answer.status, body: answer.body, retryAfter: answer.headers.get('retry-after') }).toEqual({ status: 503, body: unavailable, retryAfter: '5' });
  }

  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${relay.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...(init.headers as Record<string, string>) } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'relay-unavailable-'));
  });
  afterEach(async () => {
    locker?.close();
    locker = undefined;
    await relay?.close();
    await gateway?.close();
    gateway = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('locked by another writer: 503 with Retry-After, nothing sent, a log line naming SQLITE_BUSY; delivered again once the lock is gone', async () => {
    await start();
    locker = new Database(join(dir, 'relay.db'));
    locker.exec('BEGIN EXCLUSIVE');

    expectUnavailable(await postMessage(relay.url, smsTo('+13035550101')));
    expectUnavailable(await postMessage(relay.url, smsTo('+13035550102'), { path: '/fusionauth/queued' }));
    expect(sent()).toBe(0);
    const line = relay.logs().split('\n').find((l) => l.includes('"msg":"store unavailable"'));
    expect(line && JSON.parse(line)).toMatchObject({ level: 50, code: '[unavailable]', store: 'sqlite', reason: expect.stringMatching(/^SQLITE_BUSY: database is locked/) });
    expect(relay.logs()).not.toContain('unhandled error');

    locker.exec('ROLLBACK');
    expect((await postMessage(relay.url, smsTo('+13035550103'))).status).toBe(200);
    expect(sent()).toBe(1);
  });

  it('read-only: messages (sync and queued) get 503 while the delivery log can still be read', async () => {
    await start();
    const before = await postMessage(relay.url, smsTo('+13035550111'));
    expect(before.status).toBe(200);
    db().pragma('query_only = ON');

    expectUnavailable(await postMessage(relay.url, smsTo('+13035550112')));
    expectUnavailable(await postMessage(relay.url, smsTo('+13035550113'), { path: '/fusionauth/queued' }));
    expect(relay.logs()).toContain('"reason":"SQLITE_READONLY: attempt to write a readonly database","msg":"store unavailable"');
    const read = await admin(`/admin/deliveries/${String(before.body.id)}`);
    expect(read.status).toBe(200);
    expect(sent()).toBe(1);

    db().pragma('query_only = OFF');
    expect((await postMessage(relay.url, smsTo('+13035550114'))).status).toBe(200);
  });

  it('full (no page left to grow into): 503, never a 500, and the messages answered 200 were all sent', async () => {
    await start();
    const pages = db().pragma('page_count', { simple: true }) as number;
    db().pragma(`max_page_count = ${pages}`);
    const statuses: number[] = [];
    // Each record takes some of the last page; sooner or later one needs a page the database may not have.
    for (let i = 0; i < 400 && !statuses.includes(503); i++) statuses.push((await postMessage(relay.url, smsTo(`+1303555${String(1000 + i)}`))).status);
    expect(statuses.at(-1)).toBe(503);
    expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(sent()).toBe(statuses.filter((s) => s === 200).length);
    expect(relay.logs()).toContain('"reason":"SQLITE_FULL: database or disk is full","msg":"store unavailable"');
    expect(relay.logs()).not.toContain('unhandled error');
  });

  it('closed: every route that needs the store answers 503, /healthz stays 200 and /readyz says 503', async () => {
    await start();
    const before = await postMessage(relay.url, smsTo('+13035550121'));
    db().close();

    expectUnavailable(await postMessage(relay.url, smsTo('+13035550122')));
    expectUnavailable(await postMessage(relay.url, smsTo('+13035550123'), { path: '/fusionauth/queued' }));
    for (const res of [
      await admin(`/admin/deliveries/${String(before.body.id)}`),
      await admin('/admin/deliveries?limit=5'),
      await admin('/admin/outbox'),
      await admin('/dispatch-targets?userId=7d5a3c1e-0b7f-4d43-9a7e-1f6c2f3b9a10'),
      await fetch(`${relay.url}/redeem`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'a'.repeat(43) }) }),
    ]) {
      expect({ url: res.url, status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') }).toEqual({ url: res.url, status: 503, body: unavailable, retryAfter: '5' });
    }
    expect((await fetch(`${relay.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${relay.url}/readyz`)).status).toBe(503);
    expect(relay.logs()).toContain('"reason":"the database is closed"');
    expect(relay.logs()).not.toContain('unhandled error');
  });

  it('locked after the first provider failed: the next provider still delivers, the answer is 200, and the gap is logged', async () => {
    gateway = await startHttpPeer({
      answer: () => {
        // The database becomes unwritable while the message is in flight, before its failed attempt is recorded.
        locker = new Database(join(dir, 'relay.db'));
        locker.exec('BEGIN EXCLUSIVE');
        return { status: 500, body: '{"error":"gateway down"}' };
      },
    });
    await start({
      routes: { otp: { providers: ['gateway', 'phone'], deadlineMs: 1500 }, queued: { providers: ['phone'], deadlineMs: 1500, delivery: 'async' } },
      providers: {
        gateway: { type: 'http', url: `${gateway.origin}/send`, options: { to: '{phone}', text: '{message}' } },
        phone: { type: 'log', print: 'none', outboxFile: outboxFile() },
      },
    });

    const answer = await postMessage(relay.url, smsTo('+13035550131'));
    expect({ status: answer.status, delivered: answer.body.status }).toEqual({ status: 200, delivered: 'delivered' });
    expect(gateway.requests).toHaveLength(1);
    expect(sent()).toBe(1);
    expect(relay.logs()).toContain('store unavailable: a failed attempt is missing from the delivery log');
    expect(relay.logs()).toContain('store unavailable: the delivery is missing from the delivery log');
  });
});
