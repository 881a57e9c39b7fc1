import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * No Docker engine runs here, so the image cannot be built in CI. This checks what a build would trip over first:
 * every file a stage copies exists and survives .dockerignore, every `--from` names an earlier stage, and what the
 * last stage runs is what the build stage produces.
 */
const root = join(__dirname, '..', '..');
const read = (f: string) => readFileSync(join(root, f), 'utf8');

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const out: Instruction[] = [];
  let stage = -1;
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op, args] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') stage++;
    out.push({ op: op.toUpperCase(), args: args.trim(), stage });
  }
  return out;
}

/** Docker's rule: the last pattern matching the path or one of its parents decides. Only the forms used here. */
function dockerignoreKeeps(patterns: string[], path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let kept = true;
  for (const p of patterns) {
    const negate = p.startsWith('!');
    const pattern = negate ? p.slice(1) : p;
    if (/[?[\]]|\*\*|.\*|\*./.test(pattern)) throw new Error(`.dockerignore pattern ${p} is not understood by this check; extend it`);
    const matches = candidates.some((c) => (pattern === '*' ? !c.includes('/') : c === pattern));
    if (matches) kept = negate;
  }
  return kept;
}

const dockerfile = instructions(read('Dockerfile'));
const ignore = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stages = dockerfile.filter((i) => i.op === 'FROM').map((i) => /\bAS\s+(\S+)/i.exec(i.args)?.[1]);
const last = stages.length - 1;

describe('Dockerfile', () => {
  it('is multi-stage on Node 22 slim', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const from of dockerfile.filter((i) => i.op === 'FROM')) expect(from.args).toMatch(/^node:22-[a-z]+-slim\b/);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const copies = dockerfile.filter((i) => i.op === 'COPY' && !i.args.includes('--from='));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const sources = c.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
      for (const s of sources) {
        expect({ source: s, exists: existsSync(join(root, s)) }).toEqual({ source: s, exists: true });
        expect({ source: s, inContext: dockerignoreKeeps(ignore, s) }).toEqual({ source: s, inContext: true });
      }
    }
  });

  it('keeps secrets and local state out of the build context', () => {
    for (const p of ['.env', 'data/relay.db', 'certs/server.key', 'node_modules/pg/package.json', 'test/kit/relay-harness.ts', '.git/config']) {
      expect({ p, inContext: dockerignoreKeeps(ignore, p) }).toEqual({ p, inContext: false });
    }
  });

  it('copies --from stages that are defined earlier, and runs what the build stage produced', () => {
    for (const c of dockerfile.filter((i) => i.op === 'COPY' && i.args.includes('--from='))) {
      const from = /--from=(\S+)/.exec(c.args)![1];
      const index = stages.indexOf(from);
      expect({ from, defined: index >= 0 && index < c.stage }).toEqual({ from, defined: true });
    }
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(build.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: 'src' });
    expect(JSON.parse(read('package.json')).scripts.build).toContain('tsconfig.build.json');
    expect(existsSync(join(root, 'src/main.ts'))).toBe(true);
    const entry = dockerfile.find((i) => i.op === 'ENTRYPOINT' && i.stage === last)!;
    expect(JSON.parse(entry.args)).toEqual(['node', '/app/dist/main.js']);
    expect(dockerfile.some((i) => i.stage === last && i.op === 'COPY' && /\/app\/dist\s+\.\/dist$/.test(i.args))).toBe(true);
    expect(dockerfile.some((i) => i.stage === last && i.op === 'WORKDIR' && i.args === '/app')).toBe(true);
  });

  it('runs as a non-root user with a healthcheck script that is copied into the image', () => {
    const users = dockerfile.filter((i) => i.stage === last && i.op === 'USER').map((i) => i.args);
    expect(users.at(-1)).toBe('node');
    const health = dockerfile.find((i) => i.stage === last && i.op === 'HEALTHCHECK')!;
    expect(health.args).toContain('CMD ["node", "/app/healthcheck.cjs"]');
    expect(dockerfile.some((i) => i.stage === last && i.op === 'COPY' && i.args === 'deploy/healthcheck.cjs ./healthcheck.cjs')).toBe(true);
  });

  it('installs production dependencies only in the image it ships', () => {
    const buildRuns = dockerfile.filter((i) => i.stage === 0 && i.op === 'RUN').map((i) => i.args).join(' ');
    expect(buildRuns).toMatch(/npm ci\b/);
    expect(buildRuns).toMatch(/npm prune --omit=dev/);
    expect(dockerfile.some((i) => i.stage === last && i.op === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(false);
  });
});
