import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Scenario } from './scenario';
import { gatewayOverheadScenario } from './scenarios/gateway-overhead';
import { jweScenario } from './scenarios/jwe';
import { pushScenario } from './scenarios/push';
import { receiverScenario } from './scenarios/receiver';
import { smppSessionScenario } from './scenarios/smpp-session';
import { webhookChain } from './scenarios/webhook-chain';
import { limiterScenario } from './scenarios/limiter';
import { replicasScenario } from './scenarios/replicas';

/** Add a scenario: a file in bench/scenarios/ exporting a `Scenario`, and one line here. */
const scenarios: Scenario[] = [
  receiverScenario,
  gatewayOverheadScenario,
  smppSessionScenario,
  webhookChain,
  limiterScenario,
  jweScenario,
  pushScenario,
  replicasScenario,
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const chosen = only.length ? scenarios.filter((s) => only.includes(s.id)) : scenarios;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
  const sections: string[] = [];
  for (const s of chosen) {
    process.stderr.write(`bench: ${s.title}\n`);
    sections.push(await s.run());
  }
  const doc = [
    '# Benchmarks',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}, by \`npm run bench\`${only.length ? ` (${only.join(', ')})` : ''}.`,
    'Load generator and server share the machine, so absolute numbers are a floor; the ratios within one table are the point.',
    '',
    ...sections,
  ].join('\n');
  writeFileSync(join(__dirname, '..', 'docs', 'benchmarks.md'), `${doc}\n`);
  process.stdout.write(`${doc}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
