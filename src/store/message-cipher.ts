import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV = 12;
const TAG = 16;
const KEY_ID = 4;

/** A short fingerprint, stored with each item, that says which key sealed it (rotation without trial decryption). */
function keyId(key: Buffer): Buffer {
  return createHash('sha256').update('messenger-relay outbox key id').update(key).digest().subarray(0, KEY_ID);
}

/**
 * AES-256-GCM for queued messages: they hold the one-time code, which must never sit in the store in clear.
 * The item's id is the additional data, so a sealed message moved onto another row does not open.
 * Layout: version (1) · key id (4) · IV (12) · tag (16) · ciphertext.
 */
export class MessageCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly currentId: Buffer;

  constructor(
    private readonly current: Buffer,
    previous: readonly Buffer[] = [],
  ) {
    if (current.length !== 32) throw new Error('the outbox encryption key must be 32 bytes');
    this.currentId = keyId(current);
    this.keys = new Map([current, ...previous].map((k) => [keyId(k).toString('hex'), k]));
  }

  seal(value: unknown, id: string): Buffer {
    const iv = randomBytes(IV);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv);
    cipher.setAAD(Buffer.from(id));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), this.currentId, iv, cipher.getAuthTag(), body]);
  }

  /** Throws when the item was sealed with a key this relay no longer has, or was tampered with. */
  open<T>(sealed: Buffer, id: string): T {
    if (sealed.length < 1 + KEY_ID + IV + TAG || sealed[0] !== VERSION) throw new Error('not a sealed outbox message');
    const key = this.keys.get(sealed.subarray(1, 1 + KEY_ID).toString('hex'));
    if (!key) throw new Error('sealed with a key this relay does not have (storage.encryptionKey changed?)');
    const ivStart = 1 + KEY_ID;
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(ivStart, ivStart + IV));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(sealed.subarray(ivStart + IV, ivStart + IV + TAG));
    const text = Buffer.concat([decipher.update(sealed.subarray(ivStart + IV + TAG)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as T;
  }
}
