import { ProviderError } from '../provider';

/**
 * Tags a provider's templates may use (privacyIDEA's, so its gateway settings carry over, plus `{message}` and
 * `{code}`):
 * - `{phone}`: the number after the provider's `regexp` rewrite;
 * - `{otp}`: the whole message text — privacyIDEA's name for it, although it is not only the code;
 * - `{message}`: the whole message text as well;
 * - `{code}`: the one-time code alone. A message without one cannot fill it: `MissingCodeError`, so a gateway
 *   never receives a text with the code silently left out (the http provider behaves the same).
 *
 * Tags are replaced as plain text in one pass, as privacyIDEA's HTTP provider does since 2024, so other braces
 * (a JSON body) stay as they are and a value that itself contains `{phone}` is never expanded again.
 */
export const TEMPLATE_TAGS = ['phone', 'otp', 'message', 'code'] as const;
export type TemplateTag = (typeof TEMPLATE_TAGS)[number];

export interface TemplateValues {
  phone: string;
  message: string;
  code?: string;
}

export class MissingCodeError extends Error {
  constructor() {
    super('the message carries no one-time code for the {code} tag');
    this.name = 'MissingCodeError';
  }
}

/** What a provider answers for a MissingCodeError: another provider's template may not need the code. */
export function noCodeError(provider: string, e: MissingCodeError): ProviderError {
  return new ProviderError(provider, `${e.message}; use {message} or {otp} for the whole text`, { verdict: 'failover', vendorCode: 'no_code', notSent: true });
}

const TAG = /\{(phone|otp|message|code)\}/g;

function valueOf(tag: TemplateTag, values: TemplateValues): string {
  if (tag === 'phone') return values.phone;
  if (tag !== 'code') return values.message;
  if (values.code === undefined) throw new MissingCodeError();
  return values.code;
}

/** `escape` encodes each value for where the result goes (a header, a URL, JSON); the template itself is kept. */
export function fillTemplate(template: string, values: TemplateValues, escape: (value: string) => string = (v) => v): string {
  return template.replace(TAG, (_, tag: TemplateTag) => escape(valueOf(tag, values)));
}

/** `{word}` placeholders that are not tags: almost always a typo (`{phon}`), worth refusing at start where braces are not expected. */
export function unknownTags(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]).filter((t) => !(TEMPLATE_TAGS as readonly string[]).includes(t));
}

/** Any value YAML can give an option: sent with that type in a JSON body, as text in a form or query. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * Tags are filled inside string values of the parsed option, never in serialised JSON text, so a message with
 * quotes, backslashes or newlines still makes valid JSON (privacyIDEA splices the text into the option before
 * parsing it, and falls back to sending the raw string when that breaks the JSON).
 */
export function fillValue(value: JsonValue, values: TemplateValues): JsonValue {
  if (typeof value === 'string') return fillTemplate(value, values);
  if (Array.isArray(value)) return value.map((v) => fillValue(v, values));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillValue(v, values)]));
  return value;
}

export function usesTag(value: JsonValue, tag: TemplateTag): boolean {
  if (typeof value === 'string') return value.includes(`{${tag}}`);
  if (Array.isArray(value)) return value.some((v) => usesTag(v, tag));
  if (value && typeof value === 'object') return Object.values(value).some((v) => usesTag(v, tag));
  return false;
}
