import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback HTTP(S) SMS gateway for tests and benchmarks: a plain node:http server on 127.0.0.1 that records
 * what arrives and answers as told.
 *
 *   const gw = await startHttpGateway({ accept: { status: 200, body: 'OK' } });
 *   // point a provider at gw.url, send, then:
 *   gw.requests[0].form?.text; gw.connections;   // what arrived, and over how many TCP connections
 *   gw.behave('throttle', { retryAfter: '7' });  // or 'reject' | 'fail' | 'reset' | 'hang' | 'accept'
 *   gw.behave({ status: 200, body: 'ERR: 108, Invalid or missing API ID' });   // any fixed answer
 *   gw.behave((req) => ({ status: req.query.to ? 202 : 400 }));               // or computed per request
 *   await gw.close();
 *
 * It logs nothing and keeps answering fast under load; pass `record: false` to keep memory flat in a benchmark
 * (`count` still counts).
 */

export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  /** Query parameters; a repeated key gives a list. */
  query: Record<string, string | string[]>;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  /** Parsed `application/x-www-form-urlencoded` body; a repeated key gives a list. */
  form?: Record<string, string | string[]>;
  /** Parsed `application/json` body; `undefined` also when it did not parse (see `rawBody`). */
  json?: unknown;
  /** Which connection (1, 2, …) carried it: keep-alive reuse shows as the same number. */
  connection: number;
  /** The status the gateway answered, or how it refused to. */
  answer?: number | 'reset' | 'hang';
}

export interface GatewayReply {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Answer after this long (a slow but working gateway). */
  delayMs?: number;
}

/** Named behaviours; the conformance kit's modes plus `throttle` (429). */
export type GatewayMode = 'accept' | 'reject' | 'fail' | 'throttle' | 'reset' | 'hang';
export type GatewayBehaviour = GatewayMode | GatewayReply | ((req: RecordedRequest) => GatewayReply | 'reset' | 'hang');

export interface HttpGatewayOptions {
  /** What `accept` answers; default 200 `OK`. */
  accept?: GatewayReply;
  /** What `reject` answers; default 400 `invalid request`. */
  reject?: GatewayReply;
  /** What `fail` answers; default 503 `service unavailable`. */
  fail?: GatewayReply;
  /** HTTPS with this certificate instead of plain HTTP. */
  tls?: { cert: string; key: string };
  /** Require this Basic authentication; anything else gets 401. */
  basicAuth?: { username: string; password: string };
  /** Keep every request in `requests`; default true. */
  record?: boolean;
  /** Listen on this port; default a free one. */
  port?: number;
}

export interface HttpGateway {
  /** Base URL, e.g. `http://127.0.0.1:40123`; append a path of your choosing (every path answers). */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Requests answered or dropped, whether recorded or not. */
  readonly count: number;
  /** Connections accepted so far (for https: completed TLS handshakes). */
  readonly connections: number;
  behave(behaviour: GatewayBehaviour, options?: { retryAfter?: string }): void;
  /** Forget recorded requests and the counters. */
  clear(): void;
  close(): Promise<void>;
}

function paramsToRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

function parseBody(contentType: string | undefined, raw: string): Pick<RecordedRequest, 'form' | 'json'> {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return { form: paramsToRecord(new URLSearchParams(raw)) };
  if (type === 'application/json') {
    try {
      return { json: JSON.parse(raw) };
    } catch {
      return {};
    }
  }
  return {};
}

export async function startHttpGateway(options: HttpGatewayOptions = {}): Promise<HttpGateway> {
  const replies: Record<'accept' | 'reject' | 'fail', GatewayReply> = {
    accept: options.accept ?? { status: 200, body: 'OK' },
    reject: options.reject ?? { status: 400, body: 'invalid request' },
    fail: options.fail ?? { status: 503, body: 'service unavailable' },
  };
  const record = options.record ?? true;
  const expectedAuth = options.basicAuth
    ? `Basic ${Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64')}`
    : undefined;
  const requests: RecordedRequest[] = [];
  const connectionIds = new WeakMap<Socket, number>();
  let connections = 0;
  let count = 0;
  let behaviour: GatewayBehaviour = 'accept';
  let retryAfter = '1';

  const decide = (req: RecordedRequest): GatewayReply | 'reset' | 'hang' => {
    if (typeof behaviour === 'function') return behaviour(req);
    if (typeof behaviour === 'object') return behaviour;
    if (behaviour === 'reset' || behaviour === 'hang') return behaviour;
    if (behaviour === 'throttle') return { status: 429, body: 'too many requests', headers: { 'retry-after': retryAfter } };
    return replies[behaviour];
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      const url = new URL(req.url ?? '/', 'http://gateway');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: paramsToRecord(url.searchParams),
        headers: req.headers,
        rawBody,
        ...parseBody(req.headers['content-type'], rawBody),
        connection: connectionIds.get(req.socket) ?? 0,
      };
      if (record) requests.push(recorded);
      if (expectedAuth && req.headers.authorization !== expectedAuth) {
        recorded.answer = 401;
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="gateway"' }).end('unauthorized');
        return;
      }
      const answer = decide(recorded);
      recorded.answer = typeof answer === 'string' ? answer : answer.status;
      if (answer === 'hang') return;
      if (answer === 'reset') {
        req.socket.destroy();
        return;
      }
      const send = () => res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body ?? '');
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  };

  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler) : http.createServer(handler);
  // For https, the request's socket is the TLS socket, and a refused handshake is no connection for our purpose.
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => connectionIds.set(socket, ++connections));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    get count() {
      return count;
    },
    get connections() {
      return connections;
    },
    behave(b, o) {
      behaviour = b;
      if (o?.retryAfter !== undefined) retryAfter = o.retryAfter;
    },
    clear() {
      requests.length = 0;
      count = 0;
      connections = 0;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        // Hung requests and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
