import type Database from 'better-sqlite3';

interface QueuedWrite {
  write: () => void;
  settle: (error?: unknown) => void;
}

/**
 * Group commit: writes queued during one turn of the event loop share one transaction, so concurrent requests pay
 * for one WAL commit between them instead of one each (a one-off profile, not a benchmark, saw about a third less time per message in batches of five). Each
 * caller's promise resolves only once its write is committed, so nothing is acknowledged before it is durable. When
 * one write fails (a foreign key, say) the batch is replayed write by write, so that one alone is refused.
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
    try {
      this.db.transaction(() => {
        for (const w of batch) w.write();
      })();
    } catch {
      // Something in the batch failed and the whole batch rolled back: replay each write in its own transaction,
      // so only the one that fails is refused. A failure is rare (a missing delivery, a full disk), so the common
      // path pays for no savepoints.
      for (const w of batch) {
        try {
          this.db.transaction(w.write)();
          w.settle();
        } catch (e) {
          w.settle(e ?? new Error('write failed'));
        }
      }
      return;
    }
    for (const w of batch) w.settle();
  }
}
