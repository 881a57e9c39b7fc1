/** Any value YAML can give an option: sent with that type in a JSON body, as text in a form or query. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface TagValues {
  /** The number after the provider's `regexp`. */
  phone: string;
  /** The whole message text. */
  message: string;
  /** The one-time code, when the message carries one. */
  code?: string;
}

export const TAGS = ['phone', 'message', 'otp', 'code'] as const;

/**
 * `{otp}` is the whole text, not the code: that is what privacyIDEA's HTTP provider puts there (its SMS token
 * renders the text first), so a privacyIDEA option `text: "{otp}"` keeps sending the same SMS here.
 * Any other `{...}` is left as written, as privacyIDEA's plain string replacement does.
 */
const TAG = /\{(phone|message|otp|code)\}/g;

export class MissingCodeError extends Error {
  constructor() {
    super('the message carries no one-time code for the {code} tag');
    this.name = 'MissingCodeError';
  }
}

/**
 * One pass over the template, so text that itself contains `{phone}` is sent as written instead of being
 * substituted again (privacyIDEA replaces `{otp}` first and then `{phone}` inside the result).
 */
export function fillTags(template: string, tags: TagValues): string {
  return template.replace(TAG, (_, tag: string) => {
    if (tag === 'phone') return tags.phone;
    if (tag === 'code') {
      if (tags.code === undefined) throw new MissingCodeError();
      return tags.code;
    }
    return tags.message;
  });
}

/**
 * Tags are filled inside string values of the parsed option, never in serialised JSON text, so a message with
 * quotes, backslashes or newlines still makes valid JSON (privacyIDEA splices the text into the option before
 * parsing it, and falls back to sending the raw string when that breaks the JSON).
 */
export function fillValue(value: JsonValue, tags: TagValues): JsonValue {
  if (typeof value === 'string') return fillTags(value, tags);
  if (Array.isArray(value)) return value.map((v) => fillValue(v, tags));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillValue(v, tags)]));
  return value;
}

export function usesTag(value: JsonValue, tag: (typeof TAGS)[number]): boolean {
  if (typeof value === 'string') return value.includes(`{${tag}}`);
  if (Array.isArray(value)) return value.some((v) => usesTag(v, tag));
  if (value && typeof value === 'object') return Object.values(value).some((v) => usesTag(v, tag));
  return false;
}
