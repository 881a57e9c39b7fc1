import type { Pem } from '../../../src/tls/certificates';
import type { ConformancePeer, ReceivedMessage } from '../provider-conformance';
import { startHttpPeer, type HttpPeer, type PeerAnswer, type PeerRequest } from './http-peer';

/**
 * The receiving end of FusionAuth's Generic Messenger, as small as it can be (reference/fusionauth-contract.md §1):
 * POST only, Basic auth and/or header secrets, a JSON body `{phoneNumber, textMessage | message, type, code?,
 * userId?, locale?}`; 200 `{id}` when it takes the message, FusionAuth-shaped error bodies otherwise.
 * For a real downstream relay use `startTestRelay`; this peer exists for what a relay will not do on demand
 * (refuse, fail, drop the connection, hang) and to see the bytes exactly as they arrived.
 */

export interface GenericMessengerPeerOptions {
  basic?: { username: string; password: string };
  headers?: Record<string, string>;
  tls?: Pem;
}

export interface GenericMessengerPeer extends ConformancePeer {
  readonly http: HttpPeer;
  received(): ReceivedMessage[];
  /** Parsed bodies of the messages it took, oldest first. */
  bodies(): Record<string, unknown>[];
}

const PATH = '/fusionauth/sms';
const error = (status: number, code: string, message: string): PeerAnswer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ generalErrors: [{ code, message }] }),
});

function authorised(req: PeerRequest, opts: GenericMessengerPeerOptions): boolean {
  if (opts.basic) {
    const expected = `Basic ${Buffer.from(`${opts.basic.username}:${opts.basic.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return false;
  }
  return Object.entries(opts.headers ?? {}).every(([name, value]) => req.headers[name.toLowerCase()] === value);
}

export async function startGenericMessengerPeer(opts: GenericMessengerPeerOptions = {}): Promise<GenericMessengerPeer> {
  const bodies: Record<string, unknown>[] = [];
  let seq = 0;

  const http = await startHttpPeer({
    tls: opts.tls,
    answer(req, mode) {
      if (req.path !== PATH) return error(404, '[notFound]', 'No such path.');
      if (req.method !== 'POST') return error(405, '[methodNotAllowed]', `${PATH} accepts POST only`);
      if (!authorised(req, opts)) return error(401, '[notAuthorized]', 'Authentication failed.');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(req.raw) as Record<string, unknown>;
      } catch {
        return error(400, '[invalidJson]', 'the body is not valid JSON');
      }
      const text = body.type === 'Voice' ? body.message : body.textMessage;
      if (body.type !== 'SMS' && body.type !== 'Voice') return error(400, '[invalid]body', 'type must be "SMS" or "Voice"');
      if (typeof body.phoneNumber !== 'string' || !body.phoneNumber) return error(400, '[missing]phoneNumber', 'phoneNumber is required');
      if (typeof text !== 'string' || !text.trim()) return error(400, '[missing]textMessage', 'the message text is required');
      if (mode === 'reject') return error(400, '[invalid]phoneNumber', 'phoneNumber is not a valid number');
      if (mode === 'fail') return error(500, '[internal]', 'Something unexpected failed.');
      bodies.push(body);
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: `peer-${++seq}`, status: 'delivered' }) };
    },
  });

  const auth = { ...(opts.basic ? { basic: opts.basic } : {}), ...(opts.headers ? { headers: opts.headers } : {}) };
  return {
    http,
    config: { url: `${http.origin}${PATH}`, ...(opts.basic || opts.headers ? { auth } : {}) },
    behave: (m) => http.behave(m),
    received: () =>
      bodies.map((b) => ({ to: b.phoneNumber as string, text: (b.type === 'Voice' ? b.message : b.textMessage) as string })),
    bodies: () => [...bodies],
    close: () => http.close(),
  };
}
