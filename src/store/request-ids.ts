/**
 * Request ids seen in signed device requests (the `jti` of a PATCH), remembered until the request could no longer
 * pass the freshness check anyway. Replay protection for every replica sharing the store.
 */
export interface RequestIds {
  /** True the first time `key` is claimed before it expires; false when it was already seen. */
  claim(key: string, expiresAt: number): Promise<boolean>;
  purgeExpired(now: number): Promise<number>;
}
