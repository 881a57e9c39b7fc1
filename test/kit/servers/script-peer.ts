import { existsSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerMode } from '../provider-conformance';

/**
 * A real `#!/bin/sh` script in a temporary directory, for the script provider. The provider's configuration names
 * one script, so the script reads what to do from the `mode` file next to it:
 * - `accept`: records argv and stdin (and its environment), exits 0;
 * - `reject`: says "invalid number" on stderr, exits 2;
 * - `fail`: exits 1;
 * - `reset`: is killed with SIGKILL by itself, as the OOM killer would;
 * - `hang`: starts `sleep 60` as a child and waits for it; both pids are written to `script.pid` / `child.pid`;
 * - `slow`: sleeps 3 s, then records like `accept`;
 * - `echo`: prints its argv and stdin to stdout and stderr, then exits 1 (for scrubbing checks);
 * - `tempfail`: exits 75 (EX_TEMPFAIL).
 */
export type ScriptMode = PeerMode | 'slow' | 'echo' | 'tempfail';

export interface ScriptRecord {
  /** argv after the script's own path. */
  args: string[];
  stdin: string;
  env: Record<string, string>;
}

export interface ScriptPeer {
  directory: string;
  script: string;
  behave(mode: ScriptMode): void;
  records(): Promise<ScriptRecord[]>;
  /** Reads a pid file the `hang` mode writes, once it exists. */
  pid(which: 'script' | 'child'): Promise<number>;
  close(): Promise<void>;
}

export const PEER_SCRIPT = 'send-sms.sh';

const SCRIPT = `#!/bin/sh
here=$(dirname "$0")
mode=$(cat "$here/mode" 2>/dev/null)
record() {
  id="$(date +%s%N)-$$"
  printf '%s\\0' "$@" > "$here/records/$id.argv"
  cat > "$here/records/$id.stdin"
  env > "$here/records/$id.env"
  : > "$here/records/$id.done"
}
case "$mode" in
  reject) cat > /dev/null; echo "invalid number" >&2; exit 2 ;;
  fail) cat > /dev/null; echo "gateway unavailable" >&2; exit 1 ;;
  tempfail) cat > /dev/null; echo "try later" >&2; exit 75 ;;
  reset) kill -9 $$ ;;
  hang) echo $$ > "$here/script.pid"; sleep 60 & echo $! > "$here/child.pid"; wait; exit 0 ;;
  echo) input=$(cat); echo "args: $* input: $input"; echo "error for $1: $input" >&2; exit 1 ;;
  slow) sleep 3; record "$@"; exit 0 ;;
  *) record "$@"; exit 0 ;;
esac
`;

export async function startScriptPeer(): Promise<ScriptPeer> {
  const directory = await mkdtemp(join(tmpdir(), 'relay-script-'));
  await mkdir(join(directory, 'records'));
  await writeFile(join(directory, PEER_SCRIPT), SCRIPT);
  await chmod(join(directory, PEER_SCRIPT), 0o755);
  await writeFile(join(directory, 'mode'), 'accept');

  const records = async (): Promise<ScriptRecord[]> => {
    const dir = join(directory, 'records');
    const done = (await readdir(dir)).filter((f) => f.endsWith('.done')).sort();
    return Promise.all(
      done.map(async (f) => {
        const base = join(dir, f.slice(0, -'.done'.length));
        const argv = await readFile(`${base}.argv`, 'utf8');
        const env = (await readFile(`${base}.env`, 'utf8')).split('\n').filter(Boolean);
        return {
          args: argv === '' ? [] : argv.slice(0, -1).split('\0'),
          stdin: await readFile(`${base}.stdin`, 'utf8'),
          env: Object.fromEntries(env.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])),
        };
      }),
    );
  };

  return {
    directory,
    script: PEER_SCRIPT,
    behave: (mode) => writeFileSync(join(directory, 'mode'), mode),
    records,
    async pid(which) {
      const file = join(directory, `${which}.pid`);
      for (let i = 0; i < 250; i++) {
        const pid = existsSync(file) ? Number((await readFile(file, 'utf8')).trim()) : 0;
        if (pid > 0) return pid;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`${file} never appeared`);
    },
    close: () => rm(directory, { recursive: true, force: true }),
  };
}
