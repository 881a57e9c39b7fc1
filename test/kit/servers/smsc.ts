import type { AddressInfo } from 'node:net';
import { createServer, errors, PDU, type DecodedShortMessage, type Server, type Session } from 'smpp';
import type { ConformancePeer, PeerMode, ReceivedMessage } from '../provider-conformance';

/** One submit_sm as the SMSC decoded it (the smpp package's server side: an independent decoder of our encoding). */
export interface SmscSubmit {
  destination: string;
  destTon: number;
  destNpi: number;
  source: string;
  sourceTon: number;
  sourceNpi: number;
  dataCoding: number;
  esmClass: number;
  registeredDelivery: number;
  /** The UDH information elements, each without the UDHL octet, e.g. `00 03 ref total seq`. */
  udh: Buffer[];
  /** From the concatenation IE (00 03 ref total seq), when the part has one. */
  concat?: { ref: number; total: number; seq: number };
  /** This part's text, decoded by the package according to data_coding. */
  text: string;
  /** The command_status answered, or what happened instead. */
  outcome: number | 'reset' | 'unanswered';
  messageId?: string;
}

export interface SmscOptions {
  systemId: string;
  password: string;
  /** PEM key and certificate: the SMSC speaks SMPP over TLS. */
  tls?: { key: string; cert: string };
}

export interface Smsc extends ConformancePeer {
  readonly port: number;
  submits(): SmscSubmit[];
  /** How many requests of this command (bind_transmitter, enquire_link, unbind, submit_sm…) arrived so far. */
  count(command: string): number;
  /** Resolves once `count(command) >= n`; rejects after `timeoutMs`. */
  waitFor(command: string, n: number, timeoutMs?: number): Promise<void>;
  /** The status `fail` mode answers with; ESME_RSYSERR unless changed. */
  failWith(status: number): void;
  /** Unbinds every session from the SMSC's side, as an SMSC going into maintenance does. */
  unbindAll(): void;
  /** Forgets every bind but keeps the connections, as an SMSC that lost its state does: submits get ESME_RINVBNDSTS. */
  forgetBinds(): void;
  /** Answers each submit_sm this many milliseconds late (0: at once). */
  answerAfter(ms: number): void;
  /** Stops (or resumes) answering enquire_link, as a hung SMSC behind a live TCP connection does. */
  ignoreEnquireLink(ignore: boolean): void;
  /** Stops listening and drops every session, keeping the port for restart(). */
  stop(): Promise<void>;
  restart(): Promise<void>;
}

const BIND_COMMANDS = new Set(['bind_transmitter', 'bind_transceiver']);

function concatOf(udh: Buffer[]): SmscSubmit['concat'] {
  const ie = udh.find((b) => b[0] === 0x00 && b[1] === 0x03);
  return ie && { ref: ie[2], total: ie[3], seq: ie[4] };
}

/** Complete messages in arrival order: single parts as they are, concatenated parts once every part is there. */
function reassemble(submits: SmscSubmit[]): ReceivedMessage[] {
  const out: ReceivedMessage[] = [];
  const groups = new Map<string, SmscSubmit[]>();
  for (const s of submits.filter((x) => x.outcome === 0)) {
    if (!s.concat) {
      out.push({ to: s.destination, text: s.text });
      continue;
    }
    const key = `${s.destination}/${s.concat.ref}/${s.concat.total}`;
    const parts = [...(groups.get(key) ?? []), s];
    groups.set(key, parts);
    if (parts.length === s.concat.total) {
      parts.sort((a, b) => a.concat!.seq - b.concat!.seq);
      out.push({ to: s.destination, text: parts.map((p) => p.text).join('') });
      groups.delete(key);
    }
  }
  return out;
}

/** A loopback SMSC on the smpp package's server side: checks binds, records submits, and misbehaves on request. */
export async function startSmsc(options: SmscOptions): Promise<Smsc> {
  let mode: PeerMode = 'accept';
  let failStatus = errors.ESME_RSYSERR;
  let nextId = 1;
  let answerEnquireLink = true;
  let answerDelayMs = 0;
  const lateAnswers = new Set<NodeJS.Timeout>();
  const submits: SmscSubmit[] = [];
  const counts = new Map<string, number>();
  const bound = new Set<Session>();
  const waiters = new Set<() => void>();

  const onSession = (session: Session) => {
    session.on('error', () => undefined); // clients that vanish mid-PDU are part of the job
    session.on('close', () => bound.delete(session));
    session.on('pdu', (pdu: PDU) => {
      if (pdu.isResponse()) return;
      counts.set(pdu.command, (counts.get(pdu.command) ?? 0) + 1);
      for (const w of [...waiters]) w();
      if (BIND_COMMANDS.has(pdu.command)) {
        const ok = pdu.system_id === options.systemId && pdu.password === options.password;
        if (ok) bound.add(session);
        return void session.send(pdu.response({ command_status: ok ? 0 : errors.ESME_RBINDFAIL, system_id: 'test-smsc' }));
      }
      if (pdu.command === 'enquire_link') return void (answerEnquireLink && session.send(pdu.response()));
      if (pdu.command === 'unbind') {
        bound.delete(session);
        session.send(pdu.response());
        return session.close();
      }
      if (pdu.command !== 'submit_sm') return void session.send(pdu.response({ command_status: errors.ESME_RINVCMDID }));
      if (!bound.has(session)) return void session.send(pdu.response({ command_status: errors.ESME_RINVBNDSTS }));
      onSubmit(session, pdu);
    });
  };

  const onSubmit = (session: Session, pdu: PDU) => {
    const sm = pdu.short_message as DecodedShortMessage;
    const udh = sm.udh ?? [];
    const record: SmscSubmit = {
      destination: pdu.destination_addr ?? '',
      destTon: pdu.dest_addr_ton ?? -1,
      destNpi: pdu.dest_addr_npi ?? -1,
      source: pdu.source_addr ?? '',
      sourceTon: pdu.source_addr_ton ?? -1,
      sourceNpi: pdu.source_addr_npi ?? -1,
      dataCoding: pdu.data_coding ?? -1,
      esmClass: pdu.esm_class ?? -1,
      registeredDelivery: pdu.registered_delivery ?? -1,
      udh,
      concat: concatOf(udh),
      text: String(sm.message),
      outcome: 'unanswered',
    };
    submits.push(record);
    if (mode === 'hang') return;
    if (mode === 'reset') {
      record.outcome = 'reset';
      return session.destroy();
    }
    const status = mode === 'reject' ? errors.ESME_RINVDSTADR : mode === 'fail' ? failStatus : 0;
    record.outcome = status;
    if (status === 0) record.messageId = `smsc-${nextId++}`;
    const answer = () => session.send(pdu.response({ command_status: status, message_id: record.messageId ?? '' }));
    if (!answerDelayMs) return void answer();
    const timer = setTimeout(() => {
      lateAnswers.delete(timer);
      answer();
    }, answerDelayMs);
    lateAnswers.add(timer);
  };

  const server: Server = createServer(options.tls ?? {}, onSession);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;

  const stop = () =>
    new Promise<void>((resolve) => {
      for (const t of lateAnswers) clearTimeout(t);
      lateAnswers.clear();
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const s of [...server.sessions]) s.destroy();
    });

  const tlsKey = options.tls ? { tls: true } : {};
  return {
    port,
    config: { host: '127.0.0.1', port, systemId: options.systemId, password: options.password, ...tlsKey },
    behave: (m) => {
      mode = m;
    },
    received: () => reassemble(submits),
    submits: () => [...submits],
    count: (command) => counts.get(command) ?? 0,
    waitFor: (command, n, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if ((counts.get(command) ?? 0) < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the SMSC saw ${counts.get(command) ?? 0} ${command}, expected ${n}, within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    failWith: (status) => {
      failStatus = status;
    },
    unbindAll: () => {
      for (const s of bound) s.send(new PDU('unbind'));
    },
    forgetBinds: () => bound.clear(),
    answerAfter: (ms) => {
      answerDelayMs = ms;
    },
    ignoreEnquireLink: (ignore) => {
      answerEnquireLink = !ignore;
    },
    stop,
    restart: () => listen(port),
    close: stop,
  };
}
