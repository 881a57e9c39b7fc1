import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO = join(__dirname, '..', '..');
/** By URL, so the child finds tsx whatever directory it runs in. */
export const TSX = pathToFileURL(join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** A port nobody listens on right now (the OS picks it; the probe socket closes before we return). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RelayProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  /** Resolves when stderr or stdout has printed something matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Runs the real CLI (`src/main.ts` through tsx) as its own process, the way a user runs `messenger-relay`. */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): RelayProcess {
  const child = spawn(process.execPath, ['--import', TSX, join(REPO, 'src', 'main.ts'), ...args], {
    cwd: opts.cwd ?? REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners: Array<() => void> = [];
  child.stdout!.on('data', (c) => {
    out += c;
    listeners.forEach((l) => l());
  });
  child.stderr!.on('data', (c) => {
    err += c;
    listeners.forEach((l) => l());
  });
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(out) || pattern.test(err)) {
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; stderr: ${err}; stdout: ${out}`)), timeoutMs);
        listeners.push(check);
        void exited.then(() => setTimeout(check, 0));
        check();
      });
    },
  };
}
