import type { ConformancePeer, ReceivedMessage } from '../provider-conformance';
import { startHttpPeer, type HttpPeer, type PeerAnswer, type PeerRequest } from './http-peer';

/**
 * sipgate's `POST /v2/sessions/sms` as sipgate documents it (sipgate-io/sipgateio-sendsms-node README, "HTTP
 * Errors"; sipgate-io/sipgateio-node lib/core and lib/sms): personal access token as Basic `tokenId:token`,
 * JSON `{smsId, recipient, message, sendAt?}`, and the documented statuses:
 * 400 empty/blank field or bad sendAt, 401 wrong credentials, 402 no balance, 403 extension not allowed,
 * 404 wrong path, 405 wrong method, 415 not JSON, 500 "unhandled bad request (e.g. smsId not set)".
 * Success is 204 No Content; sipgate returns no message id (reference/sms-providers.md §3 notes the status is
 * not confirmed by sipgate itself, so the provider accepts any 2xx).
 */

export const SIPGATE_TOKEN_ID = 'token-AB12CD';
export const SIPGATE_TOKEN = '3f2b8c1e-9a4d-4e7b-8c2a-5d6e7f8a9b0c';
export const SIPGATE_SMS_ID = 's0';

export interface SipgatePeer extends ConformancePeer {
  readonly http: HttpPeer;
  /** What `reject` answers: 400 (bad request), 402 (balance) or 403 (extension not allowed). Default 400. */
  rejectWith(status: 400 | 402 | 403): void;
  received(): ReceivedMessage[];
  /** The JSON bodies of every request that reached the SMS endpoint, accepted or not. */
  bodies(): Record<string, unknown>[];
}

const isBlank = (v: unknown) => typeof v !== 'string' || v.trim() === '';

/** The documented refusal for a request, or its parsed body when sipgate would take it. */
function judge(req: PeerRequest, basic: string): { refuse: PeerAnswer } | { body: Record<string, unknown> } {
  const refuse = (status: number) => ({ refuse: { status } });
  if (req.path !== '/v2/sessions/sms') return refuse(404);
  if (req.method !== 'POST') return refuse(405);
  if (req.headers.authorization !== basic) return refuse(401);
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return refuse(415);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(req.raw) as Record<string, unknown>;
  } catch {
    return refuse(400);
  }
  if (body.smsId === undefined) return refuse(500);
  if (body.smsId !== SIPGATE_SMS_ID) return refuse(403);
  if (isBlank(body.recipient) || isBlank(body.message)) return refuse(400);
  if (!/^\+?[0-9]+$/.test(body.recipient as string)) return refuse(400);
  if (body.sendAt !== undefined && !(typeof body.sendAt === 'number' && body.sendAt * 1000 > Date.now())) return refuse(400);
  return { body };
}

export async function startSipgatePeer(): Promise<SipgatePeer> {
  const basic = `Basic ${Buffer.from(`${SIPGATE_TOKEN_ID}:${SIPGATE_TOKEN}`).toString('base64')}`;
  let rejectStatus: 400 | 402 | 403 = 400;
  const accepted: ReceivedMessage[] = [];
  const bodies: Record<string, unknown>[] = [];

  const http = await startHttpPeer({
    answer(req, mode) {
      const judged = judge(req, basic);
      if ('refuse' in judged) return judged.refuse;
      const { body } = judged;
      bodies.push(body);
      if (mode === 'reject') return { status: rejectStatus };
      if (mode === 'fail') return { status: 500 };
      accepted.push({ to: body.recipient as string, text: body.message as string });
      return { status: 204 };
    },
  });

  return {
    http,
    config: { tokenId: SIPGATE_TOKEN_ID, token: SIPGATE_TOKEN, smsId: SIPGATE_SMS_ID, baseUrl: `${http.origin}/v2` },
    behave: (m) => http.behave(m),
    rejectWith: (s) => {
      rejectStatus = s;
    },
    received: () => [...accepted],
    bodies: () => [...bodies],
    close: () => http.close(),
  };
}
