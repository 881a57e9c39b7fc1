import type { Message } from '../message';
import { phoneDigest } from '../redact';
import { OPTED_OUT, type DispatchTarget } from '../store/dispatch-targets';
import type { Store } from '../store/store';

export interface Recipients {
  /** Active targets with an FCM token: where the push goes. */
  live: DispatchTarget[];
  /** The user has targets, but every one that could be live has opted out. */
  optedOut: boolean;
  /** How many targets the user has at all (for the log line). */
  known: number;
}

/**
 * A message finds its user's devices by the identity provider's user id (FusionAuth sends `userId`); a message
 * without one, or whose user registered no device under that id, is matched by the keyed digest of its number.
 * A number match never crosses users: when the message names a user, a device registered to another user id is
 * left out, because a stale or mistyped number on that device must not put one user's code on another's phone.
 * A provider only uses targets that name it as their dispatcher or name none.
 */
export async function recipientTargets(store: Store, message: Message, phoneKey: Buffer, provider: string): Promise<Recipients> {
  let targets: DispatchTarget[] = [];
  if (message.userId) targets = await store.targets.list({ userId: message.userId });
  if (targets.length === 0) {
    targets = await store.targets.list({ phoneDigest: phoneDigest(phoneKey, message.to) });
    if (message.userId) targets = targets.filter((t) => t.userId === undefined || t.userId === message.userId);
  }
  const mine = targets.filter((t) => t.dispatcher === undefined || t.dispatcher === provider);
  const active = mine.filter((t) => t.state === 'active');
  const live = active.filter((t) => t.target !== OPTED_OUT);
  return { live, optedOut: live.length === 0 && active.some((t) => t.target === OPTED_OUT), known: mine.length };
}
