import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { RedeemTokens } from '../store/redeem-tokens';

/** What `POST /redeem` hands back, once. */
export interface RedeemContent {
  deliveryId: string;
  text?: string;
  code?: string;
  locale?: string;
  issuedAt: string;
  expiresAt: string;
}

export interface IssuedToken {
  token: string;
  expiresAt: number;
}

const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const PURGE_EVERY_MS = 60_000;

/**
 * Two independent keys from the token: one names the record, the other seals its content. The store holds neither
 * the token nor anything that opens the content without it, so a copy of the database reveals no code.
 * The token is 256 random bits, so HKDF needs no salt and no stretching.
 */
function derive(token: Buffer, purpose: 'lookup' | 'seal'): Buffer {
  return Buffer.from(hkdfSync('sha256', token, Buffer.alloc(0), `messenger-relay redeem ${purpose}`, 32));
}

function seal(key: Buffer, aad: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad));
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Buffer, aad: string, sealed: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12)).setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
}

/** A token of the right shape, decoded; anything else cannot have been issued here. */
export function decodeToken(token: unknown): Buffer | undefined {
  return typeof token === 'string' && TOKEN_SHAPE.test(token) ? Buffer.from(token, 'base64url') : undefined;
}

/** Single-use, short-lived tokens that stand for one message's content (the `token` in `nma_data`). */
export class RedeemService {
  private lastPurge = 0;

  constructor(
    private readonly tokens: RedeemTokens,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(content: Omit<RedeemContent, 'issuedAt' | 'expiresAt'>, ttlSeconds: number): Promise<IssuedToken> {
    const now = this.now();
    const raw = randomBytes(TOKEN_BYTES);
    const expiresAt = now + ttlSeconds * 1000;
    const hash = derive(raw, 'lookup').toString('base64url');
    const full: RedeemContent = { ...content, issuedAt: new Date(now).toISOString(), expiresAt: new Date(expiresAt).toISOString() };
    await this.tokens.put({ hash, sealed: seal(derive(raw, 'seal'), hash, Buffer.from(JSON.stringify(full))), expiresAt, createdAt: now });
    if (now - this.lastPurge > PURGE_EVERY_MS) {
      this.lastPurge = now;
      // Not awaited: issue() runs inside a push's deadline, and housekeeping must neither slow that push nor fail
      // it once its token is stored. A purge that fails is tried again by the next issue.
      this.tokens.purgeExpired(now).catch(() => {
        this.lastPurge = 0;
      });
    }
    return { token: raw.toString('base64url'), expiresAt };
  }

  /** The content, or undefined when the token is malformed, unknown, expired or already redeemed (one answer for all). */
  async redeem(token: unknown): Promise<RedeemContent | undefined> {
    const raw = decodeToken(token);
    if (!raw) return undefined;
    const hash = derive(raw, 'lookup').toString('base64url');
    const record = await this.tokens.claim(hash, this.now());
    if (!record) return undefined;
    return JSON.parse(open(derive(raw, 'seal'), hash, record.sealed).toString('utf8')) as RedeemContent;
  }

  /** For a push that never left: its token must not stay redeemable. */
  async withdraw(token: string): Promise<void> {
    const raw = decodeToken(token);
    if (raw) await this.tokens.delete(derive(raw, 'lookup').toString('base64url'));
  }
}
