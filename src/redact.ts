import { createHmac } from 'node:crypto';

/** `+4915112345678` → `+49151*****678`: enough to recognise in a log, not enough to dial. */
export function maskPhone(e164: string): string {
  if (e164.length <= 6) return '*'.repeat(e164.length);
  const keepStart = Math.min(5, e164.length - 4);
  return e164.slice(0, keepStart) + '*'.repeat(e164.length - keepStart - 3) + e164.slice(-3);
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
