import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
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

/** A scenario that runs longer than this is stopped, and the document says so instead of waiting forever. */
const SCENARIO_LIMIT_MS = 20 * 60_000;

/**
 * Each scenario runs in a process of its own: servers, sockets and thread-pool work one scenario leaves behind
 * cannot slow or stall the next (a full run once stalled in the JWE scenario after the others). The numbers still
 * come from one run on one machine, and each table's comparisons are measured within one scenario.
 */
function runIsolated(s: Scenario): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'bench-')), 'section.md');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, __filename, '--one', s.id, out], { stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), SCENARIO_LIMIT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(readFileSync(out, 'utf8'));
      const why = signal === 'SIGKILL' ? `did not finish within ${SCENARIO_LIMIT_MS / 60_000} minutes` : `failed (exit ${code ?? signal})`;
      resolve(`## ${s.title}\n\nNot measured in this run: the scenario ${why}.\n`);
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--one') {
    const scenario = scenarios.find((s) => s.id === args[1]);
    if (!scenario) throw new Error(`no scenario ${args[1]}`);
    writeFileSync(args[2], await scenario.run());
    process.exit(0);
  }
  const only = args;
  const chosen = only.length ? scenarios.filter((s) => only.includes(s.id)) : scenarios;
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
  const sections: string[] = [];
  for (const s of chosen) {
    process.stderr.write(`bench: ${s.title}\n`);
    sections.push(await runIsolated(s));
  }
  const doc = [
    '# Benchmarks',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}, by \`npm run bench\`${only.length ? ` (${only.join(', ')})` : ''}.`,
    'Load generator and server share the machine, so absolute numbers are a floor; the ratios within one table are the point.',
    'Each scenario runs in its own process, one after another.',
    '',
    ...sections,
  ].join('\n');
  // docs/benchmarks.md is one whole run; a run of some scenarios goes to bench/results/ (not committed), so it never
  // replaces the other tables with nothing.
  const target = only.length
    ? join(__dirname, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}-${only.join('-')}.md`)
    : join(__dirname, '..', 'docs', 'benchmarks.md');
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${doc}\n`);
  process.stdout.write(`${doc}\n`);
  process.stderr.write(`bench: wrote ${target}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
