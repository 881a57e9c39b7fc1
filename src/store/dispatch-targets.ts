import type { JWK } from 'jose';

/** The value nevis' Access App writes into a target when its user turns push off; such a target gets no pushes. */
export const OPTED_OUT = 'user_disabled';

/**
 * - `active`: pushes go to its FCM token (unless the token is `user_disabled`).
 * - `unregistered`: FCM answered UNREGISTERED for this token; it stays until the device PATCHes a new token or
 *   an admin deletes it, so the history is visible and the device can come back.
 */
export type TargetState = 'active' | 'unregistered';

export interface NewDispatchTarget {
  name: string;
  username?: string;
  /** The identity provider's user id (FusionAuth sends it with every message): how a message finds its devices. */
  userId?: string;
  deviceId?: string;
  /** The fcm provider this target belongs to, when several are configured (one per Firebase project). */
  dispatcher?: string;
  /** The FCM registration token, or `user_disabled`. */
  target: string;
  /** Public JWKs, already checked and stripped of everything but their public members (and `kid`). */
  signatureKey: JWK;
  encryptionKey: JWK;
  /** Keyed hash of the E.164 number, for messages that come without a user id; never the number itself. */
  phoneDigest?: string;
  phoneMasked?: string;
}

export interface DispatchTarget extends NewDispatchTarget {
  id: string;
  state: TargetState;
  createdAt: string;
  updatedAt: string;
  /** Why the state last changed (an FCM error code), for people reading the admin API. */
  stateReason?: string;
}

export interface TargetChanges {
  name?: string;
  target?: string;
  state?: TargetState;
  stateReason?: string | null;
}

/** Exactly one key: whose targets to list. */
export type TargetQuery = { username: string } | { userId: string } | { phoneDigest: string };

/** `name` must be unique among one user's targets (per username and per user id). */
export class DuplicateTargetName extends Error {
  constructor(name: string) {
    super(`the user already has a dispatch target named "${name}"`);
    this.name = 'DuplicateTargetName';
  }
}

/** Devices that receive push messages. Every method is async and engine-neutral, so PostgreSQL can implement it too. */
export interface DispatchTargets {
  /** Throws DuplicateTargetName. */
  create(target: NewDispatchTarget): Promise<DispatchTarget>;
  get(id: string): Promise<DispatchTarget | undefined>;
  /** Oldest first. */
  list(query: TargetQuery): Promise<DispatchTarget[]>;
  /** Throws DuplicateTargetName; undefined when there is no such target. */
  update(id: string, changes: TargetChanges): Promise<DispatchTarget | undefined>;
  /**
   * Marks the target unregistered only while it still holds `token`: a device that PATCHed a fresh token while
   * the failed push was in flight keeps it. True when the state changed.
   */
  markUnregistered(id: string, token: string, reason: string): Promise<boolean>;
  delete(id: string): Promise<boolean>;
}
