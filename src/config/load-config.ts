import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors';
import { providerDefinitions } from '../providers/registry';
import { secretValues } from '../providers/secret-values';
import { databaseUrlSecrets } from '../store/database-url';
import { configSchema, type Config } from './schema';

export interface LoadedConfig {
  config: Config;
  /** Directory relative paths in the file are resolved against. */
  baseDir: string;
  /** Every value that came from `${…}` or is known to be secret, for log scrubbing. */
  secrets: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `${NAME}` takes an environment variable, `${NAME:-fallback}` a default, `${file:/run/secrets/x}` a file's
 * content without its trailing newline (Docker and Kubernetes secrets). `$${` writes a literal `${`.
 * Expansion happens on parsed string values, so a secret containing YAML syntax cannot change the document.
 */
export function expandString(value: string, env: Env, baseDir: string, problems: string[], path: string, secrets: string[]): string {
  return value.replace(/\$?\$\{([^}]*)\}/g, (whole, inner: string) => {
    if (whole.startsWith('$$')) return whole.slice(1);
    if (inner.startsWith('file:')) {
      const file = resolve(baseDir, inner.slice(5));
      try {
        const content = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
        secrets.push(content);
        return content;
      } catch (e) {
        problems.push(`${path}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
        return '';
      }
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s.exec(inner);
    if (!m) {
      problems.push(`${path}: "\${${inner}}" is not a variable reference (use \${NAME}, \${NAME:-default} or \${file:PATH})`);
      return '';
    }
    const v = env[m[1]];
    if (v !== undefined && v !== '') {
      secrets.push(v);
      return v;
    }
    if (m[2] !== undefined) return m[2];
    problems.push(`${path}: environment variable ${m[1]} is not set`);
    return '';
  });
}

function expandTree(node: unknown, env: Env, baseDir: string, problems: string[], path: string, secrets: string[]): unknown {
  if (typeof node === 'string') return expandString(node, env, baseDir, problems, path, secrets);
  if (Array.isArray(node)) return node.map((v, i) => expandTree(v, env, baseDir, problems, `${path}[${i}]`, secrets));
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, expandTree(v, env, baseDir, problems, path ? `${path}.${k}` : k, secrets)]),
    );
  }
  return node;
}

export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * The names one part of the file gives another (an endpoint's route, a route's providers), checked on the raw
 * document rather than in the schema's refinement, which runs only once everything else parses: one unknown
 * provider type would otherwise hide a misspelt route until the next run.
 */
function referenceProblems(raw: unknown): string[] {
  const doc = (raw ?? {}) as { endpoints?: unknown; routes?: unknown; providers?: unknown };
  const names = (o: unknown) => (o && typeof o === 'object' && !Array.isArray(o) ? new Set(Object.keys(o)) : undefined);
  const routes = names(doc.routes);
  const providers = names(doc.providers);
  const out: string[] = [];
  if (Array.isArray(doc.endpoints) && routes) {
    doc.endpoints.forEach((e: { route?: unknown }, i) => {
      if (typeof e?.route === 'string' && !routes.has(e.route)) out.push(`endpoints[${i}].route: no route named "${e.route}"`);
    });
  }
  if (routes && providers) {
    for (const name of routes) {
      const list = (doc.routes as Record<string, { providers?: unknown }>)[name]?.providers;
      if (!Array.isArray(list)) continue;
      list.forEach((p, i) => {
        if (typeof p === 'string' && !providers.has(p)) out.push(`routes.${name}.providers[${i}]: no provider named "${p}"`);
      });
    }
  }
  return out;
}

/** Validates a plain object (already expanded) and returns the frozen config, or throws every problem at once. */
export function validateConfig(raw: unknown, problems: string[] = []): Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of (parsed.error as z.ZodError).issues) {
      problems.push(`${formatIssuePath(issue.path) || '(root)'}: ${issue.message}`);
    }
  }
  problems.push(...referenceProblems(raw));
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  return deepFreeze(parsed.data);
}

export function parseConfigText(text: string, env: Env, baseDir: string): LoadedConfig {
  const problems: string[] = [];
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) throw new ConfigError(doc.errors.map((e) => `yaml: ${e.message.split('\n')[0]}`));
  const secrets: string[] = [];
  const expanded = expandTree(doc.toJS(), env, baseDir, problems, '', secrets);
  const config = validateConfig(expanded, problems);
  return { config, baseDir, secrets: [...collectSecrets(config), ...secrets] };
}

export function loadConfigFile(file: string, env: Env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return parseConfigText(text, env, dirname(resolve(file)));
}

/** Secrets named by the schema, whether or not they came through `${…}`. */
export function collectSecrets(config: Config): string[] {
  const out: string[] = [];
  if (config.admin.token) out.push(config.admin.token);
  // A password written into the database URL is as secret as any other, whether or not it came through ${…}.
  out.push(...databaseUrlSecrets(config.storage.url));
  if (config.metrics.token) out.push(config.metrics.token);
  if (config.redis) out.push(...databaseUrlSecrets(config.redis.url));
  if (config.storage.encryptionKey) out.push(config.storage.encryptionKey, ...config.storage.previousEncryptionKeys);
  for (const e of config.endpoints) {
    if (e.auth.basic) out.push(e.auth.basic.password);
    for (const values of Object.values(e.auth.headers ?? {})) out.push(...values);
  }
  for (const p of Object.values(config.providers)) {
    out.push(...providerSecretValues(p as Record<string, unknown>));
  }
  return out.filter((s) => s.length >= 4);
}

function providerSecretValues(p: Record<string, unknown>): string[] {
  const def = providerDefinitions.find((d) => d.type === p.type);
  return secretValues(def?.secretKeys ?? [], p);
}
