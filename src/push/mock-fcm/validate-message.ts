/** The size FCM allows for a message's data and notification (keys and values). */
export const FCM_LIMIT_BYTES = 4096;

const MESSAGE_FIELDS = new Set(['name', 'data', 'notification', 'android', 'webpush', 'apns', 'fcm_options', 'token', 'topic', 'condition']);
const RESERVED = (key: string) => key === 'from' || key === 'message_type' || /^(google|gcm)/i.test(key);

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export type Checked = { ok: true; token: string; validateOnly: boolean; message: Record<string, unknown> } | { ok: false; reason: string };

/**
 * The checks FCM HTTP v1 applies that a sender can get wrong: the request's shape, a token target, string-only
 * data without reserved keys, the 4096-byte payload limit, the priority, TTL and APNs header formats, and Google's
 * rule that a data-only message to iOS may not ask for APNs priority 10.
 */
export function checkSendRequest(body: unknown): Checked {
  if (!isRecord(body)) return { ok: false, reason: 'the request body must be a JSON object' };
  for (const k of Object.keys(body)) if (k !== 'message' && k !== 'validate_only') return { ok: false, reason: `Unknown name "${k}": Cannot find field.` };
  if (body.validate_only !== undefined && typeof body.validate_only !== 'boolean') return { ok: false, reason: 'validate_only must be a boolean' };
  const m = body.message;
  if (!isRecord(m)) return { ok: false, reason: 'message is required' };
  for (const k of Object.keys(m)) if (!MESSAGE_FIELDS.has(k)) return { ok: false, reason: `Unknown name "${k}" at 'message': Cannot find field.` };
  const targets = ['token', 'topic', 'condition'].filter((k) => m[k] !== undefined);
  if (targets.length !== 1) return { ok: false, reason: 'exactly one of token, topic or condition is required' };
  if (typeof m.token !== 'string' || m.token === '') return { ok: false, reason: 'message.token must be a registration token (this mock accepts token targets only)' };

  let bytes = 0;
  if (m.data !== undefined) {
    if (!isRecord(m.data)) return { ok: false, reason: 'message.data must be a map of strings' };
    for (const [k, v] of Object.entries(m.data)) {
      if (typeof v !== 'string') return { ok: false, reason: `Invalid value at 'message.data[${k}]': data values must be strings` };
      if (RESERVED(k)) return { ok: false, reason: `Invalid data key "${k}": reserved (from, message_type, google…, gcm…)` };
      bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    }
  }
  if (m.notification !== undefined) {
    if (!isRecord(m.notification)) return { ok: false, reason: 'message.notification must be an object' };
    for (const [k, v] of Object.entries(m.notification)) {
      if (!['title', 'body', 'image'].includes(k)) return { ok: false, reason: `Unknown name "${k}" at 'message.notification'` };
      if (typeof v !== 'string') return { ok: false, reason: `message.notification.${k} must be a string` };
      if (k !== 'image') bytes += Buffer.byteLength(v);
    }
  }
  if (bytes > FCM_LIMIT_BYTES) return { ok: false, reason: `Message is too big: ${bytes} bytes, the limit is ${FCM_LIMIT_BYTES}` };

  if (m.android !== undefined) {
    if (!isRecord(m.android)) return { ok: false, reason: 'message.android must be an object' };
    const p = m.android.priority;
    if (p !== undefined && (typeof p !== 'string' || !['normal', 'high'].includes(p.toLowerCase()))) return { ok: false, reason: 'message.android.priority must be NORMAL or HIGH' };
    const ttl = m.android.ttl;
    if (ttl !== undefined) {
      const match = typeof ttl === 'string' ? /^(\d+)(\.\d{1,9})?s$/.exec(ttl) : null;
      if (!match || Number(match[1]) > 2_419_200) return { ok: false, reason: 'message.android.ttl must be a duration such as "120s", at most 2419200s' };
    }
  }
  if (m.apns !== undefined) {
    if (!isRecord(m.apns)) return { ok: false, reason: 'message.apns must be an object' };
    const headers = m.apns.headers ?? {};
    if (!isRecord(headers)) return { ok: false, reason: 'message.apns.headers must be a map of strings' };
    for (const [k, v] of Object.entries(headers)) if (typeof v !== 'string') return { ok: false, reason: `message.apns.headers["${k}"] must be a string` };
    const priority = headers['apns-priority'];
    if (priority !== undefined && !['5', '10', '1'].includes(priority as string)) return { ok: false, reason: 'apns-priority must be "10", "5" or "1"' };
    const aps = isRecord(m.apns.payload) && isRecord(m.apns.payload.aps) ? m.apns.payload.aps : {};
    if (priority === '10' && m.notification === undefined && aps.alert === undefined) {
      return { ok: false, reason: 'data-only messages to iOS allow only apns-priority "5" (background push)' };
    }
  }
  return { ok: true, token: m.token, validateOnly: body.validate_only === true, message: m };
}
