import { randomUUID } from 'node:crypto';
import type { AttemptRecord, NewDelivery } from '../../../src/store/delivery-log';
import type { Store } from '../../../src/store/store';
import type { StoreConformanceSpec } from '../store-conformance';

/** What a section of the store kit works with; `a` and `b` are valid inside tests (they open in beforeAll). */
export interface StoreKit {
  readonly spec: StoreConformanceSpec;
  /** Two stores opened at once on the suite's database: two replicas when `shared`, two databases otherwise. */
  readonly a: Store;
  readonly b: Store;
  /** One more store on the same database; the kit closes it at the end. */
  open(): Promise<Store>;
  readonly shared: boolean;
}

/** One repository's cases. Registers `describe`/`it` blocks; reads the stores only inside tests. */
export type StoreSection = (kit: StoreKit) => void;

/** A case that needs two replicas on one database; absent for engines that cannot share (the reason is tested). */
export function itShared(kit: StoreKit, name: string, fn: () => Promise<void>): void {
  if (kit.shared) it(name, fn);
}

export const ISO_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A delivery on a number no other case uses, so cases can share one database and still filter exactly. */
export function newDelivery(overrides: Partial<NewDelivery> = {}): NewDelivery {
  return {
    endpoint: '/fusionauth/sms',
    route: 'otp',
    channel: 'sms',
    phoneDigest: `digest-${randomUUID()}`,
    phoneMasked: '+1303*****212',
    status: 'sending',
    test: false,
    requestId: `req-${randomUUID()}`,
    ...overrides,
  };
}

export function attempt(overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  return { provider: 'gateway', outcome: 'failed', latencyMs: 12.5, at: new Date().toISOString(), ...overrides };
}

/** Distinct millisecond timestamps for ordering cases; not a timing assertion. */
export const nextMillisecond = () => new Promise((ok) => setTimeout(ok, 3));
