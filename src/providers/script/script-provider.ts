import { accessSync, constants, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../errors';
import { maskPhone, scrub } from '../../redact';
import { defineProvider, ProviderError } from '../provider';
import { compilePhoneRewrite } from '../shared/phone-rewrite';
import { runScript, type ScriptExit } from './run-script';
import { scriptConfigSchema } from './script-config';

const E164 = /^\+[1-9][0-9]{1,14}$/;

/** sysexits.h EX_TEMPFAIL, as sendmail uses it: the script asks to be tried again later. */
const EX_TEMPFAIL = 75;

/** The script sees this and its own `env`, nothing of the relay's environment (which holds the relay's secrets). */
const BASE_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };

function checkFiles(directory: string, file: string, name: string): void {
  const problems: string[] = [];
  const dir = statSync(directory, { throwIfNoEntry: false });
  if (!dir) problems.push(`providers.${name}.directory: ${directory} does not exist`);
  else if (!dir.isDirectory()) problems.push(`providers.${name}.directory: ${directory} is not a directory`);
  else {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) problems.push(`providers.${name}.script: ${file} does not exist`);
    else if (!st.isFile()) problems.push(`providers.${name}.script: ${file} is not a regular file`);
    else {
      try {
        accessSync(file, constants.X_OK);
      } catch {
        problems.push(`providers.${name}.script: ${file} is not executable by this user (chmod +x)`);
      }
    }
  }
  if (problems.length) throw new ConfigError(problems);
}

/** Control characters (ANSI colours, line breaks) are flattened so the text stays one readable line in a log. */
const oneLine = (s: string) => s.replace(/\p{Cc}+/gu, ' ').trim();

/**
 * Runs an operator's script per message (privacyIDEA's script provider): argv = [number], the text on stdin.
 * The file must sit in the configured directory and is checked at start; it runs without a shell, with a minimal
 * environment and a timeout that ends its whole process group.
 */
export const scriptProvider = defineProvider({
  type: 'script',
  channels: ['sms'],
  secretKeys: [],
  configSchema: scriptConfigSchema,
  create(config, { logger, baseDir }) {
    const directory = resolve(baseDir, config.directory);
    const file = join(directory, config.script);
    checkFiles(directory, file, config.name);
    const rewrite = compilePhoneRewrite(config.regexp);
    const envValues = Object.values(config.env);
    const running = new Set<Promise<unknown>>();
    let closed = false;

    const failure = (exit: ScriptExit, sensitive: readonly string[]): ProviderError | undefined => {
      const output = oneLine(scrub(exit.stderr || exit.stdout, sensitive)).slice(0, 300) || undefined;
      const said = output ? `: ${output}` : '';
      if (exit.spawnError) {
        return new ProviderError(config.name, `script could not be started (${exit.spawnError.code})`, { verdict: 'failover', vendorCode: exit.spawnError.code });
      }
      if (exit.killedBy) {
        const code = exit.killedBy === 'timeout' ? 'timeout' : 'aborted';
        return new ProviderError(config.name, `script ${exit.killedBy === 'timeout' ? `ran longer than ${config.timeoutMs} ms` : 'was stopped'} and was killed`, { verdict: 'failover', vendorCode: code });
      }
      if (exit.signal) {
        return new ProviderError(config.name, `script was killed by ${exit.signal}${said}`, { verdict: 'failover', vendorCode: exit.signal, vendorMessage: output });
      }
      if (exit.code !== 0) {
        return new ProviderError(config.name, `script exited with status ${exit.code}${said}`, {
          verdict: exit.code === EX_TEMPFAIL ? 'retryable' : 'failover',
          vendorStatus: exit.code ?? undefined,
          vendorCode: 'exit',
          vendorMessage: output,
        });
      }
      return undefined;
    };

    return {
      name: config.name,
      type: 'script',
      channels: ['sms'],
      async send(message, ctx) {
        if (closed) throw new ProviderError(config.name, 'provider is closed', { verdict: 'failover', vendorCode: 'closed' });
        // Inbound adapters only hand over E.164; a direct caller with anything else is refused before any process runs.
        if (!E164.test(message.to)) throw new ProviderError(config.name, 'the number is not in E.164 form', { verdict: 'permanent', vendorCode: 'invalid-number' });
        const arg = rewrite(message.to);
        // The number is a single argv element and starts with +; after a rewrite it must still not read as an
        // option to the script or to a tool it passes "$1" to (nodemailer's sendmail transport refuses the same).
        if (arg === '' || arg.startsWith('-')) {
          throw new ProviderError(config.name, 'regexp turned the number into an option or nothing; refusing to run the script', { verdict: 'failover', vendorCode: 'bad-argument' });
        }
        if (ctx.signal.aborted) throw new ProviderError(config.name, 'aborted before the script started', { verdict: 'failover', vendorCode: 'aborted' });

        const sensitive = [message.text, message.code ?? '', message.to, message.to.slice(1), arg, ...envValues];
        const run = runScript({
          file,
          args: [arg],
          cwd: directory,
          env: { ...BASE_ENV, ...config.env, RELAY_DELIVERY_ID: ctx.deliveryId },
          input: message.text,
          timeoutMs: config.timeoutMs,
          // In the background the answer has gone out; a later deadline must not kill a script that is working.
          signal: config.background ? undefined : ctx.signal,
        });
        const finished = run.finished;
        running.add(finished);
        void finished.then(() => running.delete(finished));
        const log = logger.child({ deliveryId: ctx.deliveryId, to: maskPhone(message.to) });

        if (config.background) {
          let pid: number;
          try {
            pid = await run.started;
          } catch {
            throw failure(await finished, sensitive)!;
          }
          void finished.then((exit) => {
            const err = failure(exit, sensitive);
            if (err) log.warn({ verdict: err.verdict, vendorStatus: err.vendorStatus, vendorCode: err.vendorCode, error: err.message }, 'background script failed after the relay had answered');
            else log.debug({ pid }, 'background script finished');
          });
          return { providerMessageId: `pid-${pid}` };
        }

        let pid: number | undefined;
        run.started.then((p) => (pid = p), () => undefined);
        const aborted = new Promise<never>((_, reject) => {
          const onAbort = () => reject(new ProviderError(config.name, 'stopped waiting for the script (deadline)', { verdict: 'failover', vendorCode: 'aborted' }));
          ctx.signal.addEventListener('abort', onAbort, { once: true });
          void finished.then(() => ctx.signal.removeEventListener('abort', onAbort));
        });
        // On abort the answer goes at once; the script is being killed (SIGTERM, then SIGKILL) behind it.
        const exit = await Promise.race([finished, aborted]);
        const err = failure(exit, sensitive);
        if (err) throw err;
        log.debug({ pid }, 'script accepted the message');
        return { providerMessageId: `pid-${pid}` };
      },
      async verify() {
        try {
          accessSync(file, constants.X_OK);
        } catch (e) {
          throw new ProviderError(config.name, `script ${config.script} is not executable`, { verdict: 'failover', vendorCode: (e as NodeJS.ErrnoException).code });
        }
      },
      /** Scripts still running (background ones included) finish or reach their timeout before the relay stops. */
      async close() {
        closed = true;
        await Promise.allSettled([...running]);
      },
    };
  },
});
