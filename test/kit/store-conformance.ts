import type { Store } from '../../src/store/store';
import { deliveriesSection } from './store/deliveries-section';
import { lifecycleSection } from './store/lifecycle-section';
import { outboxSection } from './store/outbox-section';
import { pushSection } from './store/push-section';
import { secretsSection } from './store/secrets-section';
import type { StoreKit, StoreSection } from './store/store-kit';

/**
 * The suite every store engine runs, one section per repository (house style: cross-cutting behaviour is tested
 * once, not copy-pasted per engine). An engine's test file calls it with a factory for its test database:
 *
 *   describeStoreConformance({ name: 'postgres', kind: 'postgres', create: () => PostgresStore.open(url), cleanup: drop });
 *
 * Adding a repository to the Store: one file per engine, plus one section file under test/kit/store/ and one line in
 * `sections` below.
 */
export interface StoreConformanceSpec {
  name: string;
  kind: Store['kind'];
  /**
   * A new store on the suite's test database. Called twice it gives two stores on one database, as two replicas
   * would open it. The database is new when the suite starts (a temp file, a fresh schema).
   */
  create(): Promise<Store>;
  /** Removes the test database after every store the kit opened is closed. */
  cleanup?(): Promise<void>;
  /**
   * Why two stores from `create()` cannot share one database (`:memory:` gives each its own). The cases that need
   * two replicas are then replaced by one asserting that the two really are separate.
   */
  notShared?: string;
}

const sections: readonly StoreSection[] = [lifecycleSection, secretsSection, deliveriesSection, outboxSection, pushSection];

export function describeStoreConformance(spec: StoreConformanceSpec): void {
  describe(`${spec.name} store: conformance kit`, () => {
    const opened: Store[] = [];
    let a: Store | undefined;
    let b: Store | undefined;
    const open = async (): Promise<Store> => {
      const store = await spec.create();
      opened.push(store);
      return store;
    };

    beforeAll(async () => {
      // The first thing the suite does on its fresh database: two stores starting at once, as replicas do after a
      // deploy, so both race to apply the migrations. The lifecycle section checks that both came up whole.
      [a, b] = await Promise.all([open(), open()]);
    });

    afterAll(async () => {
      await Promise.allSettled(opened.map((s) => s.close()));
      await spec.cleanup?.();
    });

    const kit: StoreKit = {
      spec,
      get a() {
        if (!a) throw new Error('the stores did not open; see the beforeAll error above');
        return a;
      },
      get b() {
        if (!b) throw new Error('the stores did not open; see the beforeAll error above');
        return b;
      },
      open,
      shared: !spec.notShared,
    };
    for (const section of sections) section(kit);
  });
}
