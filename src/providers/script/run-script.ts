import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Enough of the script's output to explain a failure; the rest is read and dropped so the script never blocks. */
const OUTPUT_LIMIT = 4096;
/** Between SIGTERM and SIGKILL: time for a script to clean up. */
const KILL_GRACE_MS = 1000;
/** After the script exits, how long to wait for the rest of its output (a leftover child may hold the pipe open). */
const OUTPUT_DRAIN_MS = 100;

export interface ScriptExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not be started (ENOENT, EACCES, …). */
  spawnError?: NodeJS.ErrnoException;
  /** Set when we ended it. */
  killedBy?: 'timeout' | 'abort';
  stdout: string;
  stderr: string;
}

export interface ScriptRun {
  /** Resolves once the process runs, rejects with the spawn error. */
  started: Promise<number>;
  /** Settles when the process has exited or failed to start; never rejects. */
  finished: Promise<ScriptExit>;
}

export interface RunOptions {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  input: string;
  timeoutMs: number;
  /** Ends the script like the timeout does; ignored once the caller stops caring (background mode). */
  signal?: AbortSignal;
}

function capture(stream: Readable): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    if (size >= OUTPUT_LIMIT) return;
    chunks.push(chunk.subarray(0, OUTPUT_LIMIT - size));
    size += Math.min(chunk.length, OUTPUT_LIMIT - size);
  });
  stream.on('error', () => undefined);
  return () => Buffer.concat(chunks).toString('utf8');
}

/**
 * Runs one file with an argv and stdin, never through a shell, so nothing in the number or the text can become a
 * command. The script leads its own process group (`detached`), so a timeout ends it and everything it started.
 */
export function runScript(opts: RunOptions): ScriptRun {
  const child = spawn(opts.file, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env,
    shell: false,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout = capture(child.stdout);
  const stderr = capture(child.stderr);
  // A script that exits without reading its stdin closes the pipe under us (EPIPE); its exit status tells the story.
  child.stdin.on('error', () => undefined);
  child.stdin.end(opts.input, 'utf8');

  let exited = false;
  let killedBy: ScriptExit['killedBy'];
  let killTimer: NodeJS.Timeout | undefined;

  const signalGroup = (sig: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-child.pid!, sig);
      return true;
    } catch {
      return false; // ESRCH: the group is gone
    }
  };
  const terminate = (why: 'timeout' | 'abort') => {
    if (exited || killedBy || child.pid === undefined) return;
    killedBy = why;
    signalGroup('SIGTERM');
    // The group id stays reserved while any member lives, so the SIGKILL cannot hit an unrelated process unless
    // the whole group is gone and its id was handed out again within the grace period; the exit handler below
    // cancels it as soon as the group is seen empty.
    killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
  };

  const timer = setTimeout(() => terminate('timeout'), opts.timeoutMs);
  const onAbort = () => terminate('abort');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  const started = new Promise<number>((ok, fail) => {
    child.once('spawn', () => ok(child.pid!));
    child.once('error', fail);
  });
  started.catch(() => undefined);

  const finished = new Promise<ScriptExit>((ok) => {
    let settled = false;
    const done = (exit: Omit<ScriptExit, 'stdout' | 'stderr' | 'killedBy'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      ok({ ...exit, killedBy, stdout: stdout(), stderr: stderr() });
    };
    child.once('error', (spawnError: NodeJS.ErrnoException) => {
      if (child.pid === undefined) done({ code: null, signal: null, spawnError });
    });
    child.once('exit', (code, signal) => {
      exited = true;
      if (killTimer && !signalGroup(0)) clearTimeout(killTimer);
      const drained = setTimeout(() => done({ code, signal }), OUTPUT_DRAIN_MS);
      child.once('close', () => {
        clearTimeout(drained);
        done({ code, signal });
      });
    });
  });
  return { started, finished };
}
