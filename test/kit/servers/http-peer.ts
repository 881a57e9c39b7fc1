import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { PeerMode } from '../provider-conformance';

/**
 * The part every loopback HTTP vendor shares: a real node:http(s) server that records each request, and the
 * failure modes that do not depend on the vendor (`reset` drops the connection, `hang` never answers).
 * The vendor's own rules (auth, body, statuses for accept/reject/fail) live in its `answer` function.
 */

export interface PeerRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as it arrived, decoded as UTF-8. */
  raw: string;
  /** The client's port: two requests with the same port came over one kept-alive connection. */
  remotePort?: number;
}

export interface PeerAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpPeerOptions {
  /** Serve HTTPS with this certificate. */
  tls?: { cert: string; key: string };
  /** The vendor's answer in the modes it decides (`accept`, `reject`, `fail`). */
  answer(req: PeerRequest, mode: 'accept' | 'reject' | 'fail'): PeerAnswer;
}

export interface HttpPeer {
  /** `http(s)://127.0.0.1:PORT` */
  readonly origin: string;
  /** Every request, oldest first, whatever was answered. */
  readonly requests: PeerRequest[];
  behave(mode: PeerMode): void;
  /** Answer every request this way until cleared with `undefined` (a 429 with Retry-After, a redirect …). */
  answerAlways(answer: PeerAnswer | undefined): void;
  close(): Promise<void>;
}

export async function startHttpPeer(opts: HttpPeerOptions): Promise<HttpPeer> {
  let mode: PeerMode = 'accept';
  let fixed: PeerAnswer | undefined;
  const requests: PeerRequest[] = [];
  const sockets = new Set<Socket>();

  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: PeerRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks).toString('utf8'), remotePort: req.socket.remotePort };
      requests.push(recorded);
      if (mode === 'reset') return req.socket.destroy();
      if (mode === 'hang') return; // the socket stays open until the client gives up or the peer closes
      const a = fixed ?? opts.answer(recorded, mode);
      res.writeHead(a.status, a.headers ?? (a.body ? { 'content-type': 'application/json' } : {}));
      res.end(a.body);
    });
  };

  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    behave: (m) => {
      mode = m;
    },
    answerAlways: (a) => {
      fixed = a;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        for (const s of sockets) s.destroy();
      }),
  };
}
