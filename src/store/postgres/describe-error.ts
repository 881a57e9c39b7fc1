/**
 * pg and net errors as one line: Node gives connection failures to a dual-stack host as an AggregateError with no
 * message. Recognised by shape, since net makes it in Node's own realm (`instanceof` fails inside a vm context).
 */
export function describeDatabaseError(e: unknown): string {
  const errors = (e as AggregateError | undefined)?.errors;
  if (Array.isArray(errors) && errors.length) return [...new Set(errors.map(describeDatabaseError))].join('; ');
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  if (err?.message) return err.message;
  if (err?.code) return [err.code, err.address && `${err.address}:${err.port}`].filter(Boolean).join(' ');
  return String(e);
}
