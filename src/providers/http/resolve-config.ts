import type { HttpEntry } from './config-schema';
import { presets, type HttpPreset } from './presets';
import { usesTag, type JsonValue } from '../shared/template';

/** The entry with its preset and the defaults applied: what the provider actually sends with. */
export interface ResolvedHttpConfig {
  url: string;
  method: 'GET' | 'POST';
  body: 'form' | 'json';
  parameters: Record<string, JsonValue>;
  options: Record<string, JsonValue>;
  headers: Record<string, string>;
  idempotencyHeader?: string;
  regexp?: string;
  returnSuccess?: string;
  returnFail?: string;
  successStatus: number[];
  checkTls: boolean;
  ca?: string;
  proxy?: string;
  username?: string;
  password?: string;
  timeoutMs: number;
}

/**
 * POST is the default, unlike privacyIDEA's GET: a GET puts the message, code included, in the URL, where
 * gateways' and proxies' access logs keep it. The presets set GET where the vendor's API wants it.
 */
const defaults = { method: 'POST', body: 'form', successStatus: [200, 201, 202] } as const;

/** An empty string clears what a preset set (e.g. `returnSuccess: ""` for no body check). */
const orPreset = (own: string | undefined, preset: string | undefined) => (own === undefined ? preset : own || undefined);

export function resolveHttpConfig(entry: HttpEntry): ResolvedHttpConfig {
  const preset: Partial<HttpPreset> = entry.preset ? presets[entry.preset] : {};
  return {
    url: entry.url ?? preset.url ?? '',
    method: entry.method ?? preset.method ?? defaults.method,
    body: entry.body ?? defaults.body,
    parameters: { ...entry.parameters },
    options: { ...preset.options, ...entry.options },
    headers: { ...entry.headers },
    idempotencyHeader: entry.idempotencyHeader,
    regexp: orPreset(entry.regexp, preset.regexp),
    returnSuccess: orPreset(entry.returnSuccess, preset.returnSuccess),
    returnFail: entry.returnFail || undefined,
    successStatus: entry.successStatus ?? preset.successStatus ?? [...defaults.successStatus],
    checkTls: entry.checkTls,
    ca: entry.ca,
    proxy: entry.proxy,
    username: entry.username,
    password: entry.password,
    timeoutMs: entry.timeoutMs,
  };
}

export interface ConfigProblem {
  path: (string | number)[];
  message: string;
}

const isScalar = (v: JsonValue) => v === null || typeof v !== 'object';

/** Checks that need several keys (and the preset) at once; each problem names the key to change. */
export function configProblems(entry: HttpEntry): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const c = resolveHttpConfig(entry);
  if (!c.url) problems.push({ path: ['url'], message: 'required (or set a preset)' });
  if (c.method === 'GET' && entry.body === 'json') {
    problems.push({ path: ['body'], message: 'json needs method: POST (a GET carries its values in the query string)' });
  }
  if (c.method === 'GET' || c.body === 'form') {
    for (const [where, values] of [['parameters', c.parameters], ['options', c.options]] as const) {
      for (const [k, v] of Object.entries(values)) {
        const ok = isScalar(v) || (Array.isArray(v) && v.every(isScalar));
        if (!ok) problems.push({ path: [where, k], message: 'a form or query value must be text, a number, a boolean, null or a list of those; nested values need body: json' });
      }
    }
  }
  for (const k of Object.keys(c.options)) {
    if (k in c.parameters) problems.push({ path: ['options', k], message: `is also a fixed parameter; a key can be one or the other` });
  }
  const opts: JsonValue = c.options;
  if (!usesTag(opts, 'phone')) problems.push({ path: ['options'], message: 'no option uses {phone}: the gateway would not learn the number' });
  if (!usesTag(opts, 'message') && !usesTag(opts, 'otp') && !usesTag(opts, 'code')) {
    problems.push({ path: ['options'], message: 'no option uses {message}, {otp} or {code}: the SMS would not carry the code' });
  }
  if (entry.username !== undefined && entry.password === undefined) problems.push({ path: ['password'], message: 'required with username' });
  if (entry.password !== undefined && entry.username === undefined) problems.push({ path: ['username'], message: 'required with password' });
  const authHeader = Object.keys(c.headers).find((h) => h.toLowerCase() === 'authorization');
  if (authHeader && entry.username !== undefined) {
    problems.push({ path: ['headers', authHeader], message: 'set either username/password or an Authorization header, not both' });
  }
  if (entry.preset) {
    for (const k of presets[entry.preset].requiredParameters) {
      if (!(k in c.parameters)) problems.push({ path: ['parameters', k], message: `required by preset ${entry.preset}` });
    }
  }
  return problems;
}
