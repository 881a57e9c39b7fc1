import type Redis from 'ioredis';
import type { DedupeEntry, DedupeStore } from './dedupe';

/** The value of a key whose first delivery is still being sent; a settled key holds `id:<delivery id>`. */
const PENDING = 'pending';

/**
 * SET NX PX and, when the key was already there, what it holds, in one step: a plain SET NX followed by a GET
 * could read nothing (the holder released in between) and take that for a reservation it never made.
 */
const RESERVE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('GET', KEYS[1])`;

/** Only a reservation is released: a settled key is another delivery's answer and stays for its window. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type ScriptClient = Redis & {
  relayDedupeReserve(key: string, value: string, ttlMs: number): Promise<string | null>;
  relayDedupeRelease(key: string, value: string): Promise<number>;
};

function entry(value: string | null): DedupeEntry | undefined {
  if (value === null) return undefined;
  return value.startsWith('id:') ? { id: value.slice(3) } : {};
}

/** Dedupe keys in Redis, shared by every replica: the same four calls as the in-memory store. */
export class RedisDedupeStore implements DedupeStore {
  private readonly redis: ScriptClient;

  constructor(client: Redis, private readonly prefix = 'dedupe:') {
    // EVALSHA with a fallback to EVAL: the script is sent once per connection, not with every call.
    client.defineCommand('relayDedupeReserve', { numberOfKeys: 1, lua: RESERVE });
    client.defineCommand('relayDedupeRelease', { numberOfKeys: 1, lua: RELEASE });
    this.redis = client as ScriptClient;
  }

  async reserve(key: string, ttlMs: number): Promise<DedupeEntry | undefined> {
    return entry(await this.redis.relayDedupeReserve(this.prefix + key, PENDING, Math.max(1, Math.ceil(ttlMs))));
  }

  async settle(key: string, id: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.prefix + key, `id:${id}`, 'PX', Math.max(1, Math.ceil(ttlMs)));
  }

  async get(key: string): Promise<DedupeEntry | undefined> {
    return entry(await this.redis.get(this.prefix + key));
  }

  async release(key: string): Promise<void> {
    await this.redis.relayDedupeRelease(this.prefix + key, PENDING);
  }
}

/**
 * Redis failing must not stop codes: a reservation that cannot be made counts as made (the message is sent), and
 * a settle or release that cannot be written is dropped. The price is a possible second send of a message that
 * was duplicated during the outage, against refusing every message while Redis is down; duplicates inside one
 * process are still merged (Dedupe's in-flight map).
 */
export function failOpen(store: DedupeStore, onError: (err: unknown) => void): DedupeStore {
  const guard = async <T>(call: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await call();
    } catch (e) {
      onError(e);
      return fallback;
    }
  };
  return {
    reserve: (key, ttlMs) => guard(() => store.reserve(key, ttlMs), undefined),
    settle: (key, id, ttlMs) => guard(() => store.settle(key, id, ttlMs), undefined),
    get: (key) => guard(() => store.get(key), undefined),
    release: (key) => guard(() => store.release(key), undefined),
  };
}
