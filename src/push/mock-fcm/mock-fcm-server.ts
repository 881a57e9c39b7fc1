import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { jwtVerify } from 'jose';
import { fcmErrorBody, FCM_ERRORS, UNAUTHENTICATED_BODY, type FcmErrorCode } from './fcm-error-responses';
import { checkSendRequest } from './validate-message';

export interface MockFcmOptions {
  host?: string;
  port?: number;
  projectId?: string;
  /**
   * The origin others reach the mock at, when that is not the address it listens on: in a container it listens
   * on 0.0.0.0 and is called by its service name. The service account's `token_uri` and the audience the token
   * endpoint demands follow it, so an assertion made for that name is accepted.
   */
  publicUrl?: string;
  /** `expires_in` of issued access tokens. */
  tokenTtlSeconds?: number;
}

export interface RecordedMessage {
  /** What FCM answered: projects/<p>/messages/<id>. */
  name: string;
  project: string;
  token: string;
  /** `validate_only` requests are recorded too, but nothing was delivered. */
  validateOnly: boolean;
  receivedAt: string;
  message: Record<string, unknown>;
}

/** Make the next sends (to one token, or to any) fail the way FCM fails, or drop/hang the connection. */
export interface ProgrammedError {
  token?: string;
  error?: FcmErrorCode;
  fault?: 'reset' | 'hang';
  /** Sent as Retry-After (seconds). */
  retryAfter?: number;
  /** How many sends it applies to; forever when absent. */
  times?: number;
  message?: string;
}

export interface MockStats {
  tokenRequests: number;
  sendRequests: number;
  messages: number;
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const SCOPES = ['https://www.googleapis.com/auth/firebase.messaging', 'https://www.googleapis.com/auth/cloud-platform'];
const SEND_PATH = /^\/v1\/projects\/([^/]+)\/messages:send$/;
const MAX_BODY = 1_048_576;
const MAX_RECORDED = 10_000;

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(JSON.stringify(body));
}

/**
 * A local stand-in for Google's OAuth token endpoint and FCM HTTP v1 (`messages:send`), for development and
 * tests: nevisFIDO documents that no FCM mock comes with it, so this one does. It owns a service account (its key
 * pair is made at start), verifies the JWT-bearer assertions signed with it, checks every send the way FCM does,
 * records what it accepted, and can be told to answer with FCM's errors. Admin API under /__mock/.
 */
export class MockFcm {
  readonly projectId: string;
  readonly clientEmail: string;
  private readonly privateKeyId = randomBytes(20).toString('hex');
  private readonly keys: { publicKey: KeyObject; privateKey: KeyObject };
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly issued = new Map<string, number>();
  private readonly recorded: RecordedMessage[] = [];
  private errors: ProgrammedError[] = [];
  private seq = 0;
  private readonly stats: Omit<MockStats, 'messages'> = { tokenRequests: 0, sendRequests: 0 };
  /** Where clients reach it: `publicUrl` when given, else the address it listens on. */
  url = '';
  /** The address it listens on. */
  listenUrl = '';

  private constructor(private readonly opts: MockFcmOptions) {
    this.projectId = opts.projectId ?? 'demo-project';
    this.clientEmail = `firebase-adminsdk@${this.projectId}.iam.gserviceaccount.com`;
    this.keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => send(res, 500, { error: { code: 500, message: 'mock failure', status: 'INTERNAL' } }));
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(opts: MockFcmOptions = {}): Promise<MockFcm> {
    const mock = new MockFcm(opts);
    await new Promise<void>((ok, fail) => {
      mock.server.once('error', fail);
      mock.server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => ok());
    });
    const { address, port } = mock.server.address() as AddressInfo;
    mock.listenUrl = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
    mock.url = opts.publicUrl?.replace(/\/+$/, '') ?? mock.listenUrl;
    return mock;
  }

  get tokenUri(): string {
    return `${this.url}/token`;
  }

  /** A service-account file for this mock: what the relay's `serviceAccountJson` points at. Contains the private key. */
  serviceAccount(): Record<string, string> {
    return {
      type: 'service_account',
      project_id: this.projectId,
      private_key_id: this.privateKeyId,
      private_key: this.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      client_email: this.clientEmail,
      client_id: '100000000000000000000',
      auth_uri: `${this.url}/auth`,
      token_uri: this.tokenUri,
    };
  }

  /** Accepted messages, oldest first; only those for `token` when given. */
  messages(token?: string): RecordedMessage[] {
    return this.recorded.filter((m) => token === undefined || m.token === token);
  }

  clearMessages(): void {
    this.recorded.length = 0;
  }

  program(e: ProgrammedError): void {
    if (e.error !== undefined && !(e.error in FCM_ERRORS)) throw new Error(`unknown FCM error ${String(e.error)}`);
    if (e.error === undefined && e.fault === undefined) throw new Error('give error or fault');
    this.errors.push({ ...e });
  }

  clearErrors(): void {
    this.errors = [];
  }

  /** Every access token issued so far stops working: the next send with one gets 401. */
  revokeTokens(): void {
    this.issued.clear();
  }

  counts(): MockStats {
    return { ...this.stats, messages: this.recorded.length };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mock');
    const body = await readBody(req);
    if (body === undefined) return send(res, 413, { error: { code: 413, message: 'Request too large', status: 'INVALID_ARGUMENT' } });
    if (url.pathname.startsWith('/__mock/')) return this.admin(req.method ?? 'GET', url, body, res);
    if (req.method === 'POST' && url.pathname === '/token') return this.token(body, res);
    const m = SEND_PATH.exec(url.pathname);
    if (req.method === 'POST' && m) return this.messagesSend(req, decodeURIComponent(m[1]), body, res);
    send(res, 404, { error: { code: 404, message: `no route ${req.method} ${url.pathname}`, status: 'NOT_FOUND' } });
  }

  private async token(body: string, res: http.ServerResponse): Promise<void> {
    this.stats.tokenRequests++;
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== JWT_BEARER) {
      return send(res, 400, { error: 'unsupported_grant_type', error_description: `grant_type must be ${JWT_BEARER}` });
    }
    const assertion = form.get('assertion');
    if (!assertion) return send(res, 400, { error: 'invalid_request', error_description: 'assertion is required' });
    try {
      const { payload } = await jwtVerify(assertion, this.keys.publicKey, {
        algorithms: ['RS256'],
        issuer: this.clientEmail,
        audience: this.tokenUri,
        requiredClaims: ['iat', 'exp'],
      });
      if ((payload.exp as number) - (payload.iat as number) > 3600) throw new Error('lifetime over one hour');
      const scopes = String(payload.scope ?? '').split(' ');
      if (!scopes.some((s) => SCOPES.includes(s))) throw new Error('no FCM scope');
    } catch (e) {
      return send(res, 400, { error: 'invalid_grant', error_description: `Invalid JWT: ${(e as Error).message}` });
    }
    const ttl = this.opts.tokenTtlSeconds ?? 3599;
    const token = `ya29.mock-${randomBytes(24).toString('base64url')}`;
    this.issued.set(token, Date.now() + ttl * 1000);
    send(res, 200, { access_token: token, expires_in: ttl, token_type: 'Bearer' }, { 'cache-control': 'no-store' });
  }

  private async messagesSend(req: http.IncomingMessage, project: string, body: string, res: http.ServerResponse): Promise<void> {
    this.stats.sendRequests++;
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expires = bearer && this.issued.get(bearer);
    if (!expires || expires < Date.now()) return send(res, 401, UNAUTHENTICATED_BODY, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' });
    if (project !== this.projectId) {
      return send(res, 403, { error: { code: 403, message: `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project}'`, status: 'PERMISSION_DENIED' } });
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return send(res, 400, fcmErrorBody('INVALID_ARGUMENT', 'Invalid JSON payload received.').body);
    }
    const checked = checkSendRequest(json);
    if (!checked.ok) {
      const e = fcmErrorBody('INVALID_ARGUMENT', checked.reason);
      return send(res, e.http, e.body);
    }
    const programmed = this.errors.find((e) => e.token === undefined || e.token === checked.token);
    if (programmed) {
      if (programmed.times !== undefined && --programmed.times <= 0) this.errors.splice(this.errors.indexOf(programmed), 1);
      if (programmed.fault === 'reset') return void req.socket.destroy();
      if (programmed.fault === 'hang') return;
      const e = fcmErrorBody(programmed.error!, programmed.message);
      return send(res, e.http, e.body, programmed.retryAfter !== undefined ? { 'retry-after': String(programmed.retryAfter) } : {});
    }
    const name = `projects/${project}/messages/0:${Date.now()}%${(++this.seq).toString(16)}`;
    this.recorded.push({ name, project, token: checked.token, validateOnly: checked.validateOnly, receivedAt: new Date().toISOString(), message: checked.message });
    if (this.recorded.length > MAX_RECORDED) this.recorded.shift();
    send(res, 200, { name });
  }

  private admin(method: string, url: URL, body: string, res: http.ServerResponse): void {
    const route = `${method} ${url.pathname}`;
    switch (route) {
      case 'GET /__mock/messages':
        return send(res, 200, { messages: this.messages(url.searchParams.get('token') ?? undefined) });
      case 'DELETE /__mock/messages':
        this.clearMessages();
        return send(res, 204);
      case 'POST /__mock/errors':
        try {
          this.program(JSON.parse(body) as ProgrammedError);
        } catch (e) {
          return send(res, 400, { error: (e as Error).message });
        }
        return send(res, 204);
      case 'DELETE /__mock/errors':
        this.clearErrors();
        return send(res, 204);
      case 'POST /__mock/revoke-tokens':
        this.revokeTokens();
        return send(res, 204);
      case 'GET /__mock/stats':
        return send(res, 200, this.counts());
      default:
        return send(res, 404, { error: `no mock route ${route}` });
    }
  }
}
