import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../processes';
import { join } from 'node:path';

/**
 * Prism serving Twilio's own OpenAPI document (api v2010, trimmed; see test/fixtures/twilio/README.md) on a free
 * loopback port. Prism validates each request against the spec (auth scheme, path and form-field patterns and
 * types, required fields) and answers the spec's static example; `validations()` reads back its verdicts.
 */

export const TWILIO_SPEC = join(__dirname, '..', '..', 'fixtures', 'twilio', 'twilio_api_v2010.trimmed.json');
const PRISM_CLI = require.resolve('@stoplight/prism-cli/dist/index.js');

export interface TwilioPrism {
  readonly url: string;
  /** Prism's validator lines since start (or since `clearLog()`), e.g. "The request passed the validation rules". */
  log(): string;
  /** Prism logs after it answers, so a test waits for the line; resolves with the log either way. */
  waitForLog(text: string, timeoutMs?: number): Promise<string>;
  clearLog(): void;
  close(): Promise<void>;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts Prism and resolves once it listens; rejects with Prism's own output if it exits or takes over `timeoutMs`. */
export async function startTwilioPrism(timeoutMs = 30_000): Promise<TwilioPrism> {
  const port = await freePort();
  const child = spawn(process.execPath, [PRISM_CLI, 'mock', '-h', '127.0.0.1', '-p', String(port), TWILIO_SPEC], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Prism did not listen within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const check = () => {
        if (output.includes('Prism is listening on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Prism exited (${code}) before listening:\n${output}`));
      });
    });
  } catch (e) {
    await stop(child);
    throw e;
  }

  let mark = output.length;
  return {
    url: `http://127.0.0.1:${port}`,
    log: () => output.slice(mark),
    async waitForLog(text, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (!output.slice(mark).includes(text) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return output.slice(mark);
    },
    clearLog: () => {
      mark = output.length;
    },
    close: () => stop(child),
  };
}
