import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logProvider } from '../../../src/providers/log/log-provider';
import { conformanceMessage, describeProviderConformance, parseProviderConfig, type ReceivedMessage } from '../../kit/provider-conformance';
import { captureLogs } from '../../kit/log-capture';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store';

const noPeer = 'the log provider writes to a local file and has no vendor that could answer';

/** The log provider's "vendor" is its outbox file: what a person would read to see the code arrive. */
async function startOutboxPeer() {
  const dir = await mkdtemp(join(tmpdir(), 'relay-log-'));
  const outboxFile = join(dir, 'outbox.jsonl');
  const read = async (): Promise<ReceivedMessage[]> => {
    const text = await readFile(outboxFile, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReceivedMessage);
  };
  return {
    config: { print: 'none', outboxFile },
    behave: () => undefined,
    received: read,
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

describeProviderConformance({
  definition: logProvider,
  startPeer: startOutboxPeer,
  invalidConfigs: [
    { name: 'an unknown print target', patch: { print: 'printer' }, path: 'print' },
    { name: 'a non-string outbox file', patch: { outboxFile: 42 }, path: 'outboxFile' },
  ],
  verdicts: { reject: 'failover', fail: 'failover', reset: 'failover', hang: 'failover' },
  notApplicable: { reject: noPeer, fail: noPeer, reset: noPeer, hang: noPeer },
});

describe('log provider', () => {
  it('writes the whole message, code included, to the outbox and only a masked number to the structured log', async () => {
    const p = await startOutboxPeer();
    const logs = captureLogs();
    const store = new SqliteStore(':memory:');
    const provider = logProvider.create(parseProviderConfig(logProvider, p.config) as never, { logger: logs.logger, store, baseDir: process.cwd() });
    const msg = conformanceMessage('+4915123456789');
    const result = await provider.send(msg, { signal: AbortSignal.timeout(1000), deliveryId: 'd-1' });
    const [line] = await p.received();
    expect(line).toMatchObject({ to: '+4915123456789', text: msg.text, code: '482913', deliveryId: 'd-1', id: result.providerMessageId });
    expect(logs.text()).toContain('+**********789');
    expect(logs.text()).not.toContain('+4915123456789');
    await store.close();
    await p.close();
  });
});
