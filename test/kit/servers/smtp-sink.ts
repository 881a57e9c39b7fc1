import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { selfSigned, type Pem } from '../../../src/tls/certificates';
import type { PeerMode } from '../provider-conformance';
import { parseMail } from './parse-mail';

/**
 * A real SMTP server on 127.0.0.1 (nodemailer's own `smtp-server`): STARTTLS with a self-signed certificate for
 * 127.0.0.1, AUTH PLAIN/LOGIN for one user, and a switch for how it answers:
 * - `accept`: 250, the message is recorded;
 * - `reject`: 550 to RCPT TO, what an email-to-SMS gateway says for a number it cannot reach;
 * - `fail`: 451 after DATA, a temporary refusal (greylisting, a full queue);
 * - `reset`: the socket is destroyed while the message is being transferred;
 * - `hang`: the message is read and never answered.
 */
export interface SmtpSinkOptions {
  /** The one account AUTH accepts; `false` turns AUTH off. */
  auth?: { user: string; pass: string } | false;
  /** Offer STARTTLS (default true). */
  starttls?: boolean;
  /** TLS from the first byte, as on port 465. */
  implicitTls?: boolean;
}

export interface SinkMessage {
  envelope: { from: string; to: string[] };
  headers: [string, string][];
  header(name: string): string | undefined;
  subject?: string;
  text: string;
  /** The message as it arrived, dot-unstuffed. */
  raw: string;
  /** Whether the session was encrypted when the message arrived. */
  secure: boolean;
  user?: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  /** The certificate the sink presents (self-signed): trust it with the provider's `ca`. */
  cert: string;
  user?: string;
  pass?: string;
  messages: SinkMessage[];
  authAttempts: { method: string; username?: string; ok: boolean; secure: boolean }[];
  behave(mode: PeerMode): void;
  close(): Promise<void>;
}

export const SINK_USER = 'relay';
export const SINK_PASSWORD = 'smtp-sink-password-0123456789';

let certificate: Promise<Pem> | undefined;

function smtpError(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const pem = await (certificate ??= selfSigned(['localhost', '127.0.0.1']));
  const auth = opts.auth === undefined ? { user: SINK_USER, pass: SINK_PASSWORD } : opts.auth;
  let mode: PeerMode = 'accept';
  const messages: SinkMessage[] = [];
  const authAttempts: SmtpSink['authAttempts'] = [];
  const sockets = new Map<number, Socket>();

  const server = new SMTPServer({
    secure: !!opts.implicitTls,
    key: pem.key,
    cert: pem.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !auth,
    disabledCommands: [...(auth ? [] : ['AUTH']), ...(opts.starttls === false ? ['STARTTLS'] : [])],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 500,
    onAuth(a, session, cb) {
      const ok = !!auth && a.username === auth.user && a.password === auth.pass;
      authAttempts.push({ method: a.method, username: a.username, ok, secure: session.secure });
      if (!ok) return cb(smtpError(535, '5.7.8 Authentication credentials invalid'));
      cb(null, { user: a.username });
    },
    onRcptTo(address, _session, cb) {
      if (mode === 'reject') return cb(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected: User unknown`));
      cb();
    },
    onData(stream, session: SMTPServerSession, cb) {
      if (mode === 'reset') {
        stream.resume();
        sockets.get(session.remotePort)?.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (mode === 'hang') return;
        if (mode === 'fail') return cb(smtpError(451, '4.3.0 Temporary failure, try again later'));
        const raw = Buffer.concat(chunks).toString('utf8');
        const { headers, text } = parseMail(raw);
        const header = (name: string) => headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
        messages.push({
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          headers,
          header,
          subject: header('subject'),
          text,
          raw,
          secure: session.secure,
          user: session.user as string | undefined,
        });
        cb(null, `2.0.0 Ok: queued as sink-${messages.length}`);
      });
    },
  });
  server.on('error', () => undefined);
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort!;
    sockets.set(port, socket);
    socket.on('close', () => sockets.delete(port));
  });

  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    cert: pem.cert,
    user: auth ? auth.user : undefined,
    pass: auth ? auth.pass : undefined,
    messages,
    authAttempts,
    behave: (m) => {
      mode = m;
    },
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets.values()) s.destroy();
        server.close(() => ok());
      }),
  };
}
