// The smpp package (0.5.1) ships no types and @types/smpp does not exist. This declares only what the relay
// uses: the client session and PDUs (src/providers/smpp/) and the server side (test/kit/servers/smsc.ts).
declare module 'smpp' {
  import { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';
  import type { ConnectionOptions, TlsOptions } from 'node:tls';

  /** What the package decodes `short_message` into: IEs of the UDH (without the UDHL octet) and the text. */
  export interface DecodedShortMessage {
    udh?: Buffer[];
    message: string | Buffer;
  }

  export class PDU {
    constructor(command: string, options?: Record<string, unknown>);
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    // Body fields the relay reads or writes; the package sets whichever the command defines.
    system_id?: string;
    password?: string;
    system_type?: string;
    interface_version?: number;
    message_id?: string;
    source_addr_ton?: number;
    source_addr_npi?: number;
    source_addr?: string;
    dest_addr_ton?: number;
    dest_addr_npi?: number;
    destination_addr?: string;
    esm_class?: number;
    registered_delivery?: number;
    data_coding?: number;
    short_message?: Buffer | DecodedShortMessage;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): PDU;
    toBuffer(): Buffer;
  }

  export interface ConnectOptions extends ConnectionOptions {
    host?: string;
    port?: number;
    /** true: TLS (ssmpp); the remaining ConnectionOptions go to tls.connect. */
    tls?: boolean;
  }

  export class Session extends EventEmitter {
    socket: Socket;
    /** Writes the PDU; false (and nothing written) when the socket is no longer writable. May throw while encoding. */
    send(pdu: PDU, responseCallback?: (pdu: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
  }

  export interface Server extends NetServer {
    sessions: Session[];
  }

  export function connect(options: ConnectOptions, listener?: () => void): Session;
  export function createServer(options: Partial<TlsOptions>, listener?: (session: Session) => void): Server;

  /** The package's codings by name; tests use its GSM 03.38 decoder to check ours independently. */
  export const encodings: Readonly<Record<'ASCII' | 'LATIN1' | 'UCS2', { match(v: string): boolean; encode(v: string): Buffer; decode(v: Buffer): string }>>;

  /** ESME status name → value, e.g. ESME_RINVDSTADR → 0x0B. */
  export const errors: Readonly<Record<string, number>>;
  /** Command name → definition; used to tell whether a request has a `_resp`. */
  export const commands: Readonly<Record<string, { id: number }>>;
}
