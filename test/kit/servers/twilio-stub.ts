import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { PeerMode } from '../provider-conformance';

/**
 * A loopback stand-in for api.twilio.com for what Prism cannot do: Twilio's error codes, throttling, 5xx,
 * resets and hangs. It answers the same paths and JSON shapes as Twilio (`{code, message, more_info, status}`)
 * and records every request's form, so a test sees exactly which fields the SDK sent.
 */

export const STUB_ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
export const STUB_AUTH_TOKEN = 'stub-auth-token-5f2c9a7e1b3d';
export const STUB_API_KEY_SID = `SK${'fedcba9876543210'.repeat(2)}`;
export const STUB_API_KEY_SECRET = 'stub-api-key-secret-8d4e6f0a';

/** Twilio's answers for the codes the relay maps, as Twilio words them (`{To}` is replaced with the form's To). */
export const TWILIO_ERRORS: Readonly<Record<number, { status: number; message: string }>> = {
  20003: { status: 401, message: 'Authenticate' },
  20404: { status: 404, message: 'The requested resource /2010-04-01/Accounts/{Account}/Messages.json was not found' },
  20429: { status: 429, message: 'Too Many Requests' },
  20500: { status: 500, message: 'An internal server error has occurred' },
  21211: { status: 400, message: "The 'To' number {To} is not a valid phone number." },
  21215: { status: 400, message: 'Account not authorized to call {To}. Perhaps you need to enable some international permissions.' },
  21408: { status: 400, message: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {To}." },
  21606: { status: 400, message: "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination/account" },
  21608: { status: 400, message: "The number {To} is unverified. Trial accounts cannot send messages to unverified numbers." },
  21610: { status: 400, message: 'Attempt to send to unsubscribed recipient' },
  21611: { status: 400, message: "This 'From' number has exceeded the maximum number of queued messages" },
  21612: { status: 400, message: "The 'To' phone number: {To}, is not currently reachable using the 'From' phone number via SMS." },
  21614: { status: 400, message: "'To' number is not a valid mobile number" },
  21635: { status: 400, message: "'To' number cannot be a landline" },
};

export interface RecordedRequest {
  method: string;
  path: string;
  /** Basic auth as received, decoded. */
  username?: string;
  password?: string;
  userAgent?: string;
  contentType?: string;
  form: Record<string, string>;
}

export interface TwilioStub {
  /** The `baseUrl` to configure. */
  readonly url: string;
  /** The conformance kit's modes: reject = 21408 (a 4xx that is no one's fault but this account's). */
  behave(mode: PeerMode): void;
  /** From now on, answer every send with this Twilio error code (a key of TWILIO_ERRORS). */
  failWith(code: number, headers?: Record<string, string>): void;
  readonly requests: RecordedRequest[];
  /** Connections the stub still holds: a client that gave up on a hung request must have closed its socket. */
  openConnections(): number;
  close(): Promise<void>;
}

type Behaviour = { kind: 'accept' } | { kind: 'error'; code: number; headers: Record<string, string> } | { kind: 'reset' } | { kind: 'hang' };

const sid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;

function decodeBasic(header: string | undefined): { username?: string; password?: string } {
  const m = /^Basic (.+)$/.exec(header ?? '');
  if (!m) return {};
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? { username: text } : { username: text.slice(0, i), password: text.slice(i + 1) };
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function twilioError(res: ServerResponse, code: number, form: Record<string, string>, headers: Record<string, string> = {}): void {
  const e = TWILIO_ERRORS[code] ?? { status: 400, message: `error ${code}` };
  const message = e.message.replace('{To}', form.To ?? '').replace('{Account}', STUB_ACCOUNT_SID);
  send(res, e.status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status: e.status }, headers);
}

export async function startTwilioStub(): Promise<TwilioStub> {
  let behaviour: Behaviour = { kind: 'accept' };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const credentials = new Map([
    [STUB_ACCOUNT_SID, STUB_AUTH_TOKEN],
    [STUB_API_KEY_SID, STUB_API_KEY_SECRET],
  ]);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const { username, password } = decodeBasic(req.headers.authorization);
    const path = (req.url ?? '/').split('?')[0];
    requests.push({ method: req.method ?? '', path, username, password, userAgent: req.headers['user-agent'], contentType: req.headers['content-type'], form });

    if (behaviour.kind === 'hang') return; // the socket stays open until the client gives up or close() runs
    if (behaviour.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (!username || credentials.get(username) !== password) return twilioError(res, 20003, form, { 'www-authenticate': 'Basic realm="Twilio API"' });

    const m = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})(\.json|\/Messages\.json|\/Calls\.json)$/.exec(path);
    if (!m || m[1] !== STUB_ACCOUNT_SID) return twilioError(res, 20404, form);
    if (m[2] === '.json' && req.method === 'GET') return send(res, 200, { sid: STUB_ACCOUNT_SID, status: 'active', type: 'Full' });
    if (req.method !== 'POST') return send(res, 405, { code: 20004, message: 'Method not allowed', status: 405 });
    if (behaviour.kind === 'error') return twilioError(res, behaviour.code, form, behaviour.headers);

    const common = { account_sid: STUB_ACCOUNT_SID, to: form.To, status: 'queued', api_version: '2010-04-01', date_created: new Date().toUTCString() };
    if (m[2] === '/Calls.json') return send(res, 201, { ...common, sid: sid('CA'), from: form.From, direction: 'outbound-api' });
    return send(res, 201, {
      ...common,
      sid: sid('SM'),
      from: form.From ?? null,
      messaging_service_sid: form.MessagingServiceSid ?? null,
      body: form.Body,
      direction: 'outbound-api',
      num_segments: '1',
      error_code: null,
      error_message: null,
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    openConnections: () => sockets.size,
    behave(mode) {
      behaviour =
        mode === 'accept' ? { kind: 'accept' } : mode === 'reject' ? { kind: 'error', code: 21408, headers: {} } : mode === 'fail' ? { kind: 'error', code: 20500, headers: {} } : { kind: mode };
    },
    failWith(code, headers = {}) {
      behaviour = { kind: 'error', code, headers };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
