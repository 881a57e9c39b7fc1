import { createHmac } from 'node:crypto';

/**
 * `+4915112345678` → `+**********678`: the last digits, enough to tell a user's numbers apart in a log or the
 * admin API. Showing the first digits too (country and area code) would leave so few unknown digits that the
 * keyed digest next to the mask could be matched by trying every candidate.
 */
export function maskPhone(e164: string): string {
  if (e164.length <= 6) return '*'.repeat(e164.length);
  return `${e164.startsWith('+') ? '+' : e164[0]}${'*'.repeat(e164.length - 4)}${e164.slice(-3)}`;
}

/** A keyed hash lets the delivery log answer "what happened to this number" without being a phone directory. */
export function phoneDigest(key: Buffer, e164: string): string {
  return createHmac('sha256', key).update(e164).digest('base64url');
}

/** Replace every occurrence of each secret in `text`; used on vendor messages before they reach logs or bodies. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  }
  return out;
}
