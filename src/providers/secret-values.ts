/**
 * The secret strings of one provider entry, as named by its definition's `secretKeys`.
 *
 * A key may be a dotted path into a nested block (`auth.basic.password`), because some vendors take credentials
 * in the same shape the relay's own endpoints use. Whatever sits at a path is secret as a whole: a string is one
 * secret, an object or a list makes every string inside it secret (`auth.headers` → each header value, never the
 * header names, which are keys).
 */
export function secretValues(secretKeys: readonly string[], entry: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of secretKeys) {
    let node: unknown = entry;
    for (const part of key.split('.')) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
    collect(node, out);
  }
  return out;
}

function collect(node: unknown, out: string[]): void {
  if (typeof node === 'string') out.push(node);
  // YAML reads `pass: 12345678` as a number; it is sent, and must be scrubbed, as the digits it is.
  else if (typeof node === 'number' || typeof node === 'bigint') out.push(String(node));
  else if (Array.isArray(node)) for (const v of node) collect(v, out);
  else if (node && typeof node === 'object') for (const v of Object.values(node)) collect(v, out);
}
