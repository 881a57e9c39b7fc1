import type { Logger } from 'pino';
import { commands, connect, errors, PDU, type ConnectOptions } from 'smpp';
import { Link, LinkFailure } from './link';
import { backoffMs } from '../../relay/backoff';
import { meansUnbound, statusName } from './status';

export interface SessionOptions {
  connect: ConnectOptions;
  bind: { system_id: string; password: string; system_type: string };
  enquireLinkMs: number;
  /** Bounds the connect, the bind and every request (enquire_link included). */
  responseTimeoutMs: number;
  reconnect: { initialMs: number; maxMs: number };
  logger: Logger;
  /** Jitter source; a seam so a test could pin it. */
  random?: () => number;
}

export type SessionState = 'connecting' | 'bound' | 'waiting' | 'closed';

export class SessionUnavailable extends Error {
  constructor(
    readonly kind: 'not_bound' | 'bind_rejected' | 'closed',
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SessionUnavailable';
  }
}

interface Waiter {
  resolve(link: Link): void;
  reject(err: SessionUnavailable): void;
}

// SMPP 3.4: what privacyIDEA (smpplib) binds with, and all the features we use. The package defaults to 5.0.
const INTERFACE_VERSION = 0x34;

/**
 * One bound transmitter session kept open for the life of the provider, so an OTP pays for a submit_sm round
 * trip instead of connect + bind + unbind. It binds at once, keeps the link alive with enquire_link, answers the
 * SMSC's own enquire_link and unbind, and after any drop reconnects with exponential backoff and jitter, for as
 * long as it is not closed. It never throws from an event: every socket error ends in a reconnect.
 */
export class SmppSession {
  private state: SessionState = 'connecting';
  private link?: Link;
  private attempt = 0;
  private connectTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private enquireTimer?: NodeJS.Timeout;
  /** The status of the last refused bind, until a bind succeeds or a later attempt fails for another reason. */
  private bindRejection?: number;
  private readonly waiters = new Set<Waiter>();
  private closing?: Promise<void>;
  private readonly random: () => number;

  constructor(private readonly opts: SessionOptions) {
    this.random = opts.random ?? Math.random;
    this.connect();
  }

  /**
   * The bound link, waiting for a (re)bind until `signal` aborts. A refused bind fails at once: waiting for the
   * next attempt with the same credentials would only burn the route's deadline.
   */
  ready(signal: AbortSignal): Promise<Link> {
    if (this.state === 'bound' && this.link) return Promise.resolve(this.link);
    if (this.state === 'closed') return Promise.reject(new SessionUnavailable('closed', 'the provider is closed'));
    if (this.bindRejection !== undefined && this.state === 'waiting') return Promise.reject(this.rejected(this.bindRejection));
    if (signal.aborted) return Promise.reject(new SessionUnavailable('not_bound', 'not bound to the SMSC'));
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        this.waiters.delete(waiter);
        signal.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        resolve: (link) => (cleanup(), resolve(link)),
        reject: (err) => (cleanup(), reject(err)),
      };
      const onAbort = () => waiter.reject(new SessionUnavailable('not_bound', 'not bound to the SMSC in time'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** The SMSC said (through a response) that this link is no longer bound: drop it and bind again. */
  rebind(link: Link, reason: string): void {
    this.lost(link, reason);
  }

  /** Unbinds (waiting at most 2 s for unbind_resp), closes the socket and stops every timer. Safe to call twice. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const link = this.link;
    const wasBound = this.state === 'bound';
    this.state = 'closed';
    this.link = undefined;
    this.stopTimers();
    for (const w of [...this.waiters]) w.reject(new SessionUnavailable('closed', 'the provider is closed'));
    this.closing = (async () => {
      if (!link) return;
      if (wasBound) {
        // Shutdown should not wait the full response timeout on an SMSC that ignores unbind.
        const answered = await link.request('unbind', {}, AbortSignal.timeout(Math.min(this.opts.responseTimeoutMs, 2000))).then(
          () => true,
          () => false,
        );
        this.opts.logger.info(answered ? 'SMPP session unbound' : 'SMPP session closed without an unbind_resp');
      }
      await link.end(1000);
    })();
    return this.closing;
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    this.state = 'connecting';
    const session = connect(this.opts.connect);
    const link = new Link(session, this.opts.responseTimeoutMs);
    this.link = link;
    // The package re-emits socket errors; without a listener Node would end the process on ECONNREFUSED.
    session.on('error', (e: Error) => this.lost(link, `connection error: ${e.message}`));
    session.on('close', () => this.lost(link, 'connection closed'));
    session.on('pdu', (pdu: PDU) => this.onPdu(link, pdu));
    // smpp 0.5.1 has no connect timeout; a black-holed SYN would otherwise wait for the kernel's minutes.
    this.connectTimer = setTimeout(() => this.lost(link, `no connection within ${this.opts.responseTimeoutMs} ms`), this.opts.responseTimeoutMs);
    session.once(this.opts.connect.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(this.connectTimer);
      void this.bind(link);
    });
  }

  private async bind(link: Link): Promise<void> {
    let resp: PDU;
    try {
      resp = await link.request('bind_transmitter', { ...this.opts.bind, interface_version: INTERFACE_VERSION });
    } catch (e) {
      return this.lost(link, `bind: ${(e as Error).message}`);
    }
    if (link !== this.link) return;
    if (resp.command_status !== 0) {
      this.bindRejection = resp.command_status;
      this.opts.logger.error({ status: statusName(resp.command_status), systemId: this.opts.bind.system_id }, 'the SMSC refused the bind');
      for (const w of [...this.waiters]) w.reject(this.rejected(resp.command_status));
      return this.lost(link, 'bind refused', true);
    }
    this.state = 'bound';
    this.attempt = 0;
    this.bindRejection = undefined;
    this.opts.logger.info({ host: this.opts.connect.host, port: this.opts.connect.port, systemId: this.opts.bind.system_id }, 'SMPP session bound');
    this.enquireTimer = setInterval(() => this.enquire(link), this.opts.enquireLinkMs);
    this.enquireTimer.unref();
    for (const w of [...this.waiters]) w.resolve(link);
  }

  private enquiring = false;

  /** An unanswered enquire_link means a dead link that TCP has not noticed (NAT timeout, hung SMSC): reconnect. */
  private enquire(link: Link): void {
    if (this.enquiring) return;
    this.enquiring = true;
    link
      .request('enquire_link', {})
      .then(
        (resp) => {
          if (meansUnbound(resp.command_status)) this.lost(link, 'the SMSC answered enquire_link with ESME_RINVBNDSTS');
        },
        (e: LinkFailure) => {
          if (e.kind === 'response_timeout') this.lost(link, 'enquire_link unanswered');
        },
      )
      .finally(() => {
        this.enquiring = false;
      });
  }

  private onPdu(link: Link, pdu: PDU): void {
    if (pdu.isResponse()) return link.settle(pdu);
    if (pdu.command === 'enquire_link') return link.reply(() => pdu.response());
    if (pdu.command === 'unbind') {
      link.reply(() => pdu.response());
      this.opts.logger.warn('the SMSC unbound the session');
      return this.lost(link, 'the SMSC unbound the session', false, true);
    }
    // A transmitter bind receives nothing else; say so rather than leave the SMSC waiting for a response.
    if (pdu.command === 'alert_notification') return;
    link.reply(() =>
      `${pdu.command}_resp` in commands
        ? pdu.response({ command_status: errors.ESME_RINVBNDSTS })
        : new PDU('generic_nack', { sequence_number: pdu.sequence_number, command_status: errors.ESME_RINVCMDID }),
    );
  }

  /** Ends `link` (if it is still the current one), fails what waits on it, and schedules the next attempt. */
  private lost(link: Link, reason: string, bindRefused = false, graceful = false): void {
    if (link !== this.link) return;
    this.link = undefined;
    const wasBound = this.state === 'bound';
    this.stopTimers();
    const failure = new LinkFailure('connection_lost', `the SMSC connection was lost (${reason})`);
    if (graceful) void link.end(1000);
    else link.destroy(failure);
    if (!bindRefused) this.bindRejection = undefined;
    this.state = 'waiting';
    const delay = this.backoff();
    const log = { reason, retryInMs: delay };
    if (wasBound) this.opts.logger.warn(log, 'SMPP session lost');
    else this.opts.logger.warn(log, 'SMPP session could not bind');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private stopTimers(): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.reconnectTimer);
    clearInterval(this.enquireTimer);
    this.connectTimer = this.reconnectTimer = this.enquireTimer = undefined;
    this.enquiring = false;
  }

  /** The outbox's equal-jitter backoff, so a fleet of relays does not reconnect in step. */
  private backoff(): number {
    const { initialMs, maxMs } = this.opts.reconnect;
    this.attempt = Math.min(this.attempt + 1, 30);
    return backoffMs(this.attempt, initialMs, maxMs, this.random);
  }

  private rejected(status: number): SessionUnavailable {
    return new SessionUnavailable('bind_rejected', `the SMSC refused the bind: ${statusName(status)}`, status);
  }
}
