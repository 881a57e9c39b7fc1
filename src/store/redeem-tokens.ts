/** One redeemable message: the token's hash for look-up and the content sealed with a key only the token yields. */
export interface RedeemRecord {
  /** base64url of a key derived from the token (HKDF-SHA-256); the token itself is never stored. */
  hash: string;
  /** AES-256-GCM of the content under another key derived from the token: iv ‖ ciphertext ‖ tag. */
  sealed: Buffer;
  /** Epoch milliseconds. */
  expiresAt: number;
  createdAt: number;
}

/** Redeem tokens handed out in push messages. Engine-neutral: PostgreSQL implements the same methods. */
export interface RedeemTokens {
  put(record: RedeemRecord): Promise<void>;
  /**
   * Removes and returns the record in one step, only if it has not expired at `now`; a second claim, from this
   * replica or another, finds nothing. That is what makes a token single-use.
   */
  claim(hash: string, now: number): Promise<RedeemRecord | undefined>;
  /** Withdraws a token that was never delivered. */
  delete(hash: string): Promise<void>;
  /** Deletes records that expired before `now`; returns how many. */
  purgeExpired(now: number): Promise<number>;
}
