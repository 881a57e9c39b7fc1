import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { REPO, TSX } from '../../test/kit/processes';

/** Compiled JavaScript (the relay's dist/, the .cjs baselines) runs as is; TypeScript entry points go through tsx. */
const nodeArgs = (entry: string) => (entry.endsWith('.ts') ? ['--import', TSX, join(REPO, entry)] : [join(REPO, entry)]);

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listened on ${port} within ${timeoutMs} ms`);
}

export interface ServerProcess {
  pid: number;
  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

/**
 * Runs a server in its own process, so the server and the load generator do not share an event loop. Its stdout (the relay's JSON log) goes to /dev/null: a real deployment
 * writes those lines too, but a pipe the bench never reads would block the server.
 */
export async function startServer(entry: string, args: string[], port: number, env: Record<string, string> = {}): Promise<ServerProcess> {
  const devnull = openSync('/dev/null', 'w');
  const child = spawn(process.execPath, [...nodeArgs(entry), ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: String(port), ...env },
    stdio: ['ignore', devnull, 'inherit'],
  });
  await waitForPort(port, child);
  const pid = child.pid!;
  return {
    pid,
    peakRssMiB() {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
