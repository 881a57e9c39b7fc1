import type Redis from 'ioredis';
import type { CounterFactory } from './counter';
import { memoryCounters } from './memory-counter';
import { redisCounters } from './redis-counter';

export type CounterBackend = { kind: 'memory' } | { kind: 'redis'; client: Redis; onError: (err: unknown) => void };

/** Where limit counters live: this process's memory, or Redis (`redis.url`) shared by every replica. */
export function createCounterFactory(backend: CounterBackend = { kind: 'memory' }): CounterFactory {
  switch (backend.kind) {
    case 'memory':
      return memoryCounters;
    case 'redis':
      return redisCounters(backend.client, backend.onError);
  }
}
