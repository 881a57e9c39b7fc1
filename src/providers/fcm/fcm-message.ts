import { NMA_CONTENT_TYPE, NMA_DATA_VERSION } from '../../push/nma-data';

/** FCM refuses messages whose payload passes this ("4096 bytes for most messages … keys and the values"). */
export const FCM_PAYLOAD_LIMIT = 4096;

export interface Notification {
  title?: string;
  body?: string;
}

export interface FcmMessageInput {
  token: string;
  nmaData: string;
  notification?: Notification;
  /** How long FCM and APNs keep trying to deliver; past it the redeem token has expired anyway. */
  ttlSeconds: number;
  now: number;
}

/**
 * The message nevisFIDO's FCM dispatcher documents (seeds/001): the three nma_data keys, an optional notification,
 * Android priority high. For APNs a notification message gets `apns-priority: 10` and `sound: default` as nevis
 * sends; a data-only message follows Apple's rule for background pushes instead (`apns-push-type: background`,
 * `apns-priority: 5`, `content-available: 1`, no sound), because Google documents that only priority 5 is allowed
 * for data-only messages to iOS and APNs rejects or throttles anything else.
 */
export function buildFcmMessage(input: FcmMessageInput): Record<string, unknown> {
  const notification = input.notification && (input.notification.title || input.notification.body) ? input.notification : undefined;
  const expiration = String(Math.floor(input.now / 1000) + input.ttlSeconds);
  const message: Record<string, unknown> = {
    token: input.token,
    data: { nma_data_version: NMA_DATA_VERSION, nma_data_content_type: NMA_CONTENT_TYPE, nma_data: input.nmaData },
  };
  if (notification) {
    message.notification = { ...(notification.title ? { title: notification.title } : {}), ...(notification.body ? { body: notification.body } : {}) };
  }
  message.android = { priority: 'high', ttl: `${input.ttlSeconds}s` };
  message.apns = notification
    ? { headers: { 'apns-priority': '10', 'apns-expiration': expiration }, payload: { aps: { sound: 'default' } } }
    : {
        headers: { 'apns-priority': '5', 'apns-push-type': 'background', 'apns-expiration': expiration },
        payload: { aps: { 'content-available': 1 } },
      };
  return message;
}

/** Bytes FCM counts against its limit: every data key and value, and the notification's title and body. */
export function payloadBytes(message: Record<string, unknown>): number {
  let n = 0;
  for (const [k, v] of Object.entries((message.data as Record<string, string>) ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  const note = message.notification as Notification | undefined;
  if (note?.title) n += Buffer.byteLength(note.title);
  if (note?.body) n += Buffer.byteLength(note.body);
  return n;
}
