import { AppError } from '../errors';
import type { Channel, Message } from '../message';
import { normalizePhone } from './phone';

export interface InboundOptions {
  defaultRegion: string;
  /** Where a Test-button message goes when the endpoint is set to deliver it. */
  testPhoneNumber?: string;
}

/** FusionAuth's "Test generic configuration" body: fixed values, and a number no phone can have. */
const TEST_PHONE = '(555) 555-5555';
const TEST_TEXT = 'Testing';
const MAX_TEXT = 1600;

function optionalString(body: Record<string, unknown>, key: string, max: number): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new AppError('invalidBody', `${key} must be a string`);
  if (v.length > max) throw new AppError('invalidBody', `${key} is longer than ${max} characters`);
  return v;
}

function channelOf(body: Record<string, unknown>): Channel {
  const type = body.type;
  if (type === undefined || type === null) return body.textMessage === undefined && body.message !== undefined ? 'voice' : 'sms';
  if (typeof type !== 'string') throw new AppError('invalidBody', 'type must be "SMS" or "Voice"');
  switch (type.toLowerCase()) {
    case 'sms':
      return 'sms';
    case 'voice':
      return 'voice';
    default:
      throw new AppError('invalidBody', 'type must be "SMS" or "Voice"');
  }
}

/**
 * The one-time code: FusionAuth 1.67+ sends it as `code`; older versions only inside the text, where the first
 * run of 4 to 10 digits is taken (the same rule FusionAuth's own workaround in issue #3470 used).
 */
function extractCode(text: string): string | undefined {
  return /(?<!\d)(\d{4,10})(?!\d)/.exec(text)?.[1];
}

/**
 * Every variant FusionAuth sends (see reference/fusionauth-contract.md §1.4): SMS with `textMessage`, Voice with
 * `message`, optional `code`, `userId`, `locale`; unknown fields are ignored so newer versions keep working.
 */
export function parseFusionAuthBody(body: unknown, opts: InboundOptions): Message {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('invalidBody', 'the body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const channel = channelOf(b);

  const rawPhone = b.phoneNumber;
  if (rawPhone === undefined || rawPhone === null || rawPhone === '') throw new AppError('missingPhoneNumber', 'phoneNumber is required');
  if (typeof rawPhone !== 'string') throw new AppError('invalidPhoneNumber', 'phoneNumber must be a string');

  const textKey = channel === 'voice' ? 'message' : 'textMessage';
  const text = optionalString(b, textKey, MAX_TEXT) ?? optionalString(b, channel === 'voice' ? 'textMessage' : 'message', MAX_TEXT);
  if (!text || !text.trim()) throw new AppError('missingText', `${textKey} is required and must not be empty`);

  const code = optionalString(b, 'code', 64) ?? extractCode(text);
  const userId = optionalString(b, 'userId', 64);
  const locale = optionalString(b, 'locale', 35);

  const test = rawPhone === TEST_PHONE && text === TEST_TEXT;
  const to = test && opts.testPhoneNumber ? normalizePhone(opts.testPhoneNumber, opts.defaultRegion).e164 : test ? TEST_PHONE : normalizePhone(rawPhone, opts.defaultRegion).e164;

  return { channel, to, text, code, userId, locale, test };
}
