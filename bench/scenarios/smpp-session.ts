import { connect, PDU } from 'smpp';
import { createLogger } from '../../src/logger';
import type { Provider } from '../../src/providers/provider';
import { smppProvider } from '../../src/providers/smpp/smpp-provider';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { parseProviderConfig } from '../../test/kit/provider-conformance';
import { startSmsc, type Smsc } from '../../test/kit/servers/smsc';
import type { Scenario } from '../scenario';

const COUNT = Number(process.env.BENCH_SMPP_COUNT ?? 500);
const CONCURRENCY = 20;
const TEXT = 'Your code is 482913. It expires in 5 minutes.';

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function row(name: string, latencies: number[], wallMs: number): string {
  const s = [...latencies].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const f = (n: number) => n.toFixed(2);
  return `| ${name} | ${s.length} | ${f(mean)} | ${f(percentile(s, 50))} | ${f(percentile(s, 99))} | ${Math.round((s.length / wallMs) * 1000)} |`;
}

/** privacyIDEA's flow for one message: connect, bind_transmitter, submit_sm, close (here the response is awaited). */
function perMessage(smsc: Smsc): Promise<void> {
  return new Promise((resolve, reject) => {
    const session = connect({ host: '127.0.0.1', port: smsc.port });
    session.on('error', reject);
    session.once('connect', () => {
      session.send(new PDU('bind_transmitter', { system_id: 'bench', password: 'bench', interface_version: 0x34 }), () => {
        const submit = new PDU('submit_sm', { destination_addr: '4915123456789', data_coding: 0, short_message: Buffer.from(TEXT) });
        session.send(submit, (resp) => {
          session.destroy();
          if (resp.command_status) reject(new Error(`status ${resp.command_status}`));
          else resolve();
        });
      });
    });
  });
}

async function timed(n: number, concurrency: number, once: () => Promise<unknown>): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next++ < n) {
      const t = performance.now();
      await once();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, wallMs: performance.now() - start };
}

export const smppSessionScenario: Scenario = {
  id: 'smpp-session',
  title: 'SMPP: kept-open bound session vs connect-bind-submit per message',
  async run() {
    const smsc = await startSmsc({ systemId: 'bench', password: 'bench' });
    const store = new SqliteStore(':memory:');
    const config = parseProviderConfig(smppProvider, smsc.config);
    const provider: Provider = smppProvider.create(config as never, { logger: createLogger('silent'), store, baseDir: process.cwd() });
    const sendOne = () => provider.send({ channel: 'sms', to: '+4915123456789', text: TEXT, test: false }, { signal: AbortSignal.timeout(5000), deliveryId: 'b' });
    try {
      await provider.verify!();
      await timed(50, 1, sendOne); // warm-up
      const kept1 = await timed(COUNT, 1, sendOne);
      const keptN = await timed(COUNT, CONCURRENCY, sendOne);
      const per1 = await timed(COUNT, 1, () => perMessage(smsc));
      const perN = await timed(COUNT, CONCURRENCY, () => perMessage(smsc));
      return [
        '## SMPP session',
        '',
        `${COUNT} one-part GSM messages to the loopback SMSC (the smpp package's server side), sequentially and ${CONCURRENCY} at a time.`,
        '',
        '| flow | messages | mean ms | p50 ms | p99 ms | msg/s |',
        '| --- | --- | --- | --- | --- | --- |',
        row('kept-open session (provider), 1 at a time', kept1.latencies, kept1.wallMs),
        row(`kept-open session (provider), ${CONCURRENCY} at a time`, keptN.latencies, keptN.wallMs),
        row('connect + bind + submit per message, 1 at a time', per1.latencies, per1.wallMs),
        row(`connect + bind + submit per message, ${CONCURRENCY} at a time`, perN.latencies, perN.wallMs),
        '',
        'On loopback the difference is the connect and bind round trips; against a remote SMSC each adds a network',
        'round trip (and a TLS handshake for ssmpp), which the kept-open session pays once.',
        '',
      ].join('\n');
    } finally {
      await provider.close!();
      await smsc.close();
      await store.close();
    }
  },
};
