import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema';
import { providerDefinitions } from '../../src/providers/registry';

/**
 * Every key the schema accepts is documented, so an operator never has to read the source to learn what a key
 * does. The rule, deliberately mechanical:
 *
 * - Sections are the `## ` headings of a page; a section runs to the next `## ` and includes its `### `s.
 * - A relay key `a.b.c` belongs to the section of `docs/configuration.md` whose heading names `a` in backticks;
 *   a provider's own key belongs to the section of `docs/providers.md` whose heading names its `type`.
 *   The keys every provider entry accepts (`type`, `timeoutMs`, `breaker`) belong to configuration.md's
 *   `providers` section.
 * - A top-level key is documented by its section's heading.
 * - Within that section, a nested key's own name must appear as a whole word inside an inline code span in the
 *   first cell (the key column) of a table row: `tls.cert`, `perPhone: {max, windowSeconds}`. The table is where
 *   a key gets its default and meaning; a name that only turns up in a YAML example, in prose or as an example
 *   value does not count. Parents are checked too, so `tls.cert` needs both `tls` and `cert`.
 *
 * The walk goes through the real `configSchema` (the provider union inside it is built from the registry), and
 * it refuses schema shapes it does not know, so a new wrapper type cannot hide keys from it.
 */

const docsDir = join(__dirname, '..', '..', 'docs');

interface Key {
  /** Full path as an operator writes it, e.g. `routes.*.async.backoff.maxMs`. */
  path: string;
  name: string;
}

type AnySchema = z.core.$ZodType;

/**
 * Types that hold no keys of their own. `lazy` is here because the lazy schema in use is `z.json()`, a free-form
 * value (the http provider's `parameters` and `options`) whose keys the operator names.
 */
const leafTypes = new Set([
  'string', 'number', 'int', 'boolean', 'bigint', 'literal', 'enum', 'null', 'undefined', 'any', 'unknown',
  'never', 'date', 'nan', 'template_literal', 'file', 'custom', 'void', 'lazy',
]);

function keysOf(schema: AnySchema, prefix: string, out: Key[] = []): Key[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'object':
      for (const [name, child] of Object.entries(def.shape as Record<string, AnySchema>)) {
        const path = prefix ? `${prefix}.${name}` : name;
        out.push({ path, name });
        keysOf(child, path, out);
      }
      return out;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'nonoptional':
    case 'catch':
      return keysOf(def.innerType as AnySchema, prefix, out);
    case 'pipe':
      return keysOf(def.in as AnySchema, prefix, out);
    case 'union':
      for (const option of def.options as AnySchema[]) keysOf(option, prefix, out);
      return out;
    case 'array':
      return keysOf(def.element as AnySchema, `${prefix}[]`, out);
    case 'record':
      return keysOf(def.valueType as AnySchema, `${prefix}.*`, out);
    default:
      if (leafTypes.has(def.type)) return out;
      throw new Error(`docs-coverage does not know how to walk a zod "${def.type}" at ${prefix}; teach keysOf()`);
  }
}

function unique(keys: Key[]): Key[] {
  return [...new Map(keys.map((k) => [k.path, k])).values()];
}

/** `## ` sections of a page, keyed by every backticked word in their heading. */
function sections(file: string): Map<string, string> {
  const text = readFileSync(join(docsDir, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const out = new Map<string, string>();
  for (const chunk of text.split(/^(?=## )/m)) {
    const heading = chunk.slice(0, chunk.indexOf('\n'));
    for (const m of heading.matchAll(/`([^`]+)`/g)) out.set(m[1], chunk);
  }
  return out;
}

/** Code spans in the first cell (the key column) of every table row in a section. */
function keyColumnSpans(section: string): string[] {
  return section
    .split('\n')
    .filter((line) => line.trimStart().startsWith('|'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]));
}

function documentedIn(section: string | undefined, name: string): boolean {
  if (!section) return false;
  const word = new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[$()*+.?[\\\]^{|}]/g, '\\$&')}($|[^A-Za-z0-9_])`);
  return keyColumnSpans(section).some((span) => word.test(span));
}

function topLevelShape(): Record<string, AnySchema> {
  return (configSchema._zod.def as unknown as { shape: Record<string, AnySchema> }).shape;
}

/**
 * The options of the `providers.*` union as the real schema holds them, each split into the keys its vendor
 * declares (documented in providers.md) and the keys the schema adds to every entry (documented in
 * configuration.md). A vendor that declares a common key itself (`timeoutMs` with its own default) documents it.
 */
function providerOptions(): { type: string; own: Key[]; common: Key[] }[] {
  const record = topLevelShape().providers._zod.def as unknown as { type: string; valueType: AnySchema };
  if (record.type !== 'record') throw new Error('providers is no longer a record; update docs-coverage');
  const options = (record.valueType._zod.def as unknown as { options: z.ZodObject[] }).options;
  return options.map((option) => {
    const type = String((option.shape.type as z.ZodLiteral).value);
    const definition = providerDefinitions.find((d) => d.type === type);
    if (!definition) throw new Error(`provider type ${type} is in the schema but not in the registry`);
    const declared = new Set(Object.keys(definition.configSchema.shape));
    const keys = unique(keysOf(option, ''));
    const isOwn = (k: Key) => declared.has(k.path.split(/[.[]/)[0]);
    return {
      type,
      own: keys.filter(isOwn),
      common: keys.filter((k) => !isOwn(k)).map((k) => ({ path: `providers.*.${k.path}`, name: k.name })),
    };
  });
}

const configuration = sections('configuration.md');
const providers = sections('providers.md');

function relayKeys(): Key[] {
  return unique(
    Object.entries(topLevelShape())
      .filter(([top]) => top !== 'providers')
      .flatMap(([top, child]) => [{ path: top, name: top }, ...keysOf(child, top)]),
  );
}

describe('every configuration key is documented', () => {
  it('walks the whole schema: every top-level section and every registered provider type', () => {
    expect(relayKeys().map((k) => k.path)).toEqual(expect.arrayContaining(['server.tls.cert', 'routes.*.async.backoff.maxMs', 'endpoints[].auth.basic.password']));
    expect(providerOptions().map((o) => o.type).sort()).toEqual(providerDefinitions.map((d) => d.type).sort());
  });

  it('every relay key is in a table of its section of docs/configuration.md', () => {
    const missing = relayKeys()
      .filter((k) => (k.path === k.name ? !configuration.has(k.name) : !documentedIn(configuration.get(k.path.split(/[.[]/)[0]), k.name)))
      .map((k) => k.path);
    expect(missing).toEqual([]);
  });

  it('every key the schema adds to all providers is in the providers section of docs/configuration.md', () => {
    const common = unique(providerOptions().flatMap((o) => o.common));
    expect(common.map((k) => k.path)).toEqual(expect.arrayContaining(['providers.*.type', 'providers.*.timeoutMs', 'providers.*.breaker']));
    expect(common.filter((k) => !documentedIn(configuration.get('providers'), k.name)).map((k) => k.path)).toEqual([]);
  });

  it.each(providerOptions().map((o) => [o.type, o.own] as const))('every %s key is in its section of docs/providers.md', (type, own) => {
    expect(own.length).toBeGreaterThan(0);
    expect(own.filter((k) => !documentedIn(providers.get(type), k.name)).map((k) => k.path)).toEqual([]);
  });
});
