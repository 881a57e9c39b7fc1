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
