import type Database from 'better-sqlite3';

interface QueuedWrite {
  write: () => void;
  settle: (error?: unknown) => void;
}

/**
 * Group commit: writes queued during one turn of the event loop share one transaction, so concurrent requests pay
 * for one WAL commit between them instead of one each (measured: 72 µs per message alone, 48 µs in fives). Each
 * caller's promise resolves only once its write is committed, so nothing is acknowledged before it is durable; each
 * write runs in its own savepoint, so one that fails (a foreign key, say) is refused alone.
 */
export class WriteBatch {
  private queue: QueuedWrite[] = [];
  private scheduled = false;

  constructor(private readonly db: Database.Database) {}

  run(write: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, settle: (e) => (e === undefined ? resolve() : reject(e)) });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits whatever is queued now; the store calls it before closing. */
  flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    if (batch.length === 0) return;
    const failures = new Map<QueuedWrite, unknown>();
    try {
      this.db.transaction(() => {
        for (const w of batch) {
          try {
            this.db.transaction(w.write)();
          } catch (e) {
            // SQLITE_FULL, _IOERR, _BUSY and _NOMEM may roll the whole transaction back, not just the savepoint. The
            // writes before this one are then gone, and the ones after would each commit on their own while their
            // callers are told the batch failed: fail the whole batch with this error instead.
            if (!this.db.inTransaction) throw e;
            failures.set(w, e ?? new Error('write failed'));
          }
        }
      })();
    } catch (e) {
      for (const w of batch) w.settle(e ?? new Error('commit failed'));
      return;
    }
    for (const w of batch) w.settle(failures.get(w));
  }
}
