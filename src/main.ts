import { certCommand } from './cli/cert-command';
import { checkConfigCommand } from './cli/check-config-command';
import type { CliContext, Command, Running } from './cli/command';
import { deviceCommand } from './cli/device-command';
import { mockFcmCommand } from './cli/mock-fcm-command';
import { serveCommand } from './cli/serve-command';
import { ConfigError } from './errors';

/** The only module that reads the process environment, installs signal handlers and exits the process. */

const commands: readonly Command[] = [serveCommand, checkConfigCommand, certCommand, mockFcmCommand, deviceCommand];

const usage = () =>
  `usage: messenger-relay COMMAND\n${commands.map((c) => `  ${c.usage}`).join('\n')}\n` +
  'With no command, or only options, it serves. Environment: RELAY_CONFIG (config file), PORT (embedded default only), LOG_LEVEL.';

/** How long a signal that arrives during start waits for the start to finish before the process exits. */
const STARTING_GRACE_MS = 5000;

const ctx: CliContext = {
  env: process.env,
  cwd: process.cwd(),
  say: (text) => process.stderr.write(`${text}\n`),
  out: (text) => process.stdout.write(text),
};

async function main(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === 'help' || first === '--help' || first === '-h') return ctx.say(usage());
  const command = first === undefined || first.startsWith('-') ? serveCommand : commands.find((c) => c.name === first);
  if (!command) {
    ctx.say(`unknown command "${first}"\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const args = command === serveCommand && first !== 'serve' ? argv : rest;
  if (!command.serves) {
    await command.run(args, ctx);
    return;
  }
  // Handlers go in before the command runs: a serving command announces itself from inside run(), and a SIGTERM
  // that arrives right after that must stop it gracefully, not kill it with the default action.
  let running: Running | void = undefined;
  let stopping = false;
  const stop = () => {
    if (stopping || !running) return;
    stopping = true;
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        ctx.say(`shutdown failed: ${(err as Error)?.message ?? String(err)}`);
        process.exit(1);
      },
    );
  };
  let signalled = false;
  const onSignal = () => {
    signalled = true;
    stop();
    // Still starting (a store that does not answer, say): give the start a moment to finish, so a stop right after
    // 'Ready' stays graceful, then leave; a process that never started must not outlive its SIGTERM.
    if (!running) setTimeout(() => process.exit(1), STARTING_GRACE_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  running = await command.run(args, ctx);
  if (signalled) stop();
}

main(process.argv.slice(2)).catch((e: unknown) => {
  ctx.say(e instanceof ConfigError ? e.message : `messenger-relay: ${(e as Error)?.message ?? String(e)}`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
