import { PDU, type Session } from 'smpp';

/** Why a request got no usable answer. The provider turns each into a verdict; the session into a reconnect. */
export type LinkFailureKind = 'response_timeout' | 'connection_lost' | 'aborted' | 'encode' | 'closed';

export class LinkFailure extends Error {
  constructor(
    readonly kind: LinkFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'LinkFailure';
  }
}

interface Pending {
  resolve(pdu: PDU): void;
  reject(err: LinkFailure): void;
}

/**
 * One TCP (or TLS) connection: request/response pairing by sequence number with a timeout per request. The
 * package pairs responses through callbacks but never times them out and never fails them when the socket
 * drops; keeping the table here lets an abandoned request leave nothing behind and a drop fail every waiter.
 */
export class Link {
  private readonly pending = new Map<number, Pending>();
  private ended = false;

  constructor(
    readonly session: Session,
    private readonly responseTimeoutMs: number,
  ) {}

  get open(): boolean {
    return !this.ended;
  }

  /** Sends a request and resolves with its response, whatever its command_status (generic_nack included). */
  request(command: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<PDU> {
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(new LinkFailure('connection_lost', 'the SMSC connection is closed'));
      if (signal?.aborted) return reject(new LinkFailure('aborted', 'aborted before sending'));
      const pdu = new PDU(command, params);
      let written: boolean;
      try {
        written = this.session.send(pdu);
      } catch (e) {
        return reject(new LinkFailure('encode', `cannot encode ${command}: ${(e as Error).message}`));
      }
      if (!written) return reject(new LinkFailure('connection_lost', 'the SMSC connection is not writable'));

      const seq = pdu.sequence_number;
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(seq);
      };
      const onAbort = () => {
        finish();
        reject(new LinkFailure('aborted', `aborted while waiting for ${command}_resp`));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new LinkFailure('response_timeout', `no ${command}_resp within ${this.responseTimeoutMs} ms`));
      }, this.responseTimeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(seq, {
        resolve: (r) => {
          finish();
          resolve(r);
        },
        reject: (e) => {
          finish();
          reject(e);
        },
      });
    });
  }

  /** Routes a response to its request; a late answer to an abandoned request finds nobody and is dropped. */
  settle(response: PDU): void {
    this.pending.get(response.sequence_number)?.resolve(response);
  }

  /** Answers a request from the SMSC. */
  reply(build: () => PDU): void {
    try {
      this.session.send(build());
    } catch {
      // A response we cannot encode is the SMSC's odd request, not a reason to fail the session.
    }
  }

  /** Fails everything still waiting; later requests fail at once. */
  fail(err: LinkFailure): void {
    this.ended = true;
    for (const p of [...this.pending.values()]) p.reject(err);
  }

  /** Ends the socket gracefully, destroying it if the peer does not close within `graceMs`; resolves once closed. */
  end(graceMs: number): Promise<void> {
    this.fail(new LinkFailure('closed', 'the session was closed'));
    const socket = this.session.socket;
    if (socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => socket.destroy(), graceMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  /** Drops the socket now. */
  destroy(err: LinkFailure): void {
    this.fail(err);
    this.session.socket.destroy();
  }
}
