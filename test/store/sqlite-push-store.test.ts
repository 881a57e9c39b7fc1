import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { describePushStoreConformance } from '../kit/push-store-conformance';

describePushStoreConformance('sqlite', async () => new SqliteStore(':memory:'));
