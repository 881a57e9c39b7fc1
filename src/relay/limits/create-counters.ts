import type { CounterFactory } from './counter';
import { memoryCounters } from './memory-counter';

export type CounterBackend = { kind: 'memory' };

/** Where limit counters live. Only this process's memory for now; a shared store for replicas adds a case here. */
export function createCounterFactory(backend: CounterBackend = { kind: 'memory' }): CounterFactory {
  switch (backend.kind) {
    case 'memory':
      return memoryCounters;
  }
}
