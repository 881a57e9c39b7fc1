import type { DedupeEntry, DedupeStore } from './dedupe';

interface Slot {
  entry: DedupeEntry;
  expiresAt: number;
}

/** Dedupe keys in this process. Expired slots are swept every few hundred writes, so the map stays window-sized. */
export class MemoryDedupeStore implements DedupeStore {
  private readonly slots = new Map<string, Slot>();
  private writes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async reserve(key: string, ttlMs: number): Promise<DedupeEntry | undefined> {
    const current = this.live(key);
    if (current) return current.entry;
    this.write(key, {}, ttlMs);
    return undefined;
  }

  async settle(key: string, id: string, ttlMs: number): Promise<void> {
    this.write(key, { id }, ttlMs);
  }

  async get(key: string): Promise<DedupeEntry | undefined> {
    return this.live(key)?.entry;
  }

  async release(key: string): Promise<void> {
    this.slots.delete(key);
  }

  private live(key: string): Slot | undefined {
    const slot = this.slots.get(key);
    if (slot && slot.expiresAt <= this.now()) {
      this.slots.delete(key);
      return undefined;
    }
    return slot;
  }

  private write(key: string, entry: DedupeEntry, ttlMs: number): void {
    this.slots.set(key, { entry, expiresAt: this.now() + ttlMs });
    if (++this.writes % 256 === 0) {
      const t = this.now();
      for (const [k, s] of this.slots) if (s.expiresAt <= t) this.slots.delete(k);
    }
  }
}
