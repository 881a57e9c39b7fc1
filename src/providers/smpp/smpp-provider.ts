import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { ConnectOptions, PDU } from 'smpp';
import { maskPhone } from '../../redact';
import { defineProvider, ProviderError, type ProviderErrorInit } from '../provider';
import { compilePhoneRewrite } from '../shared/phone-rewrite';
import { encodeMessage, MessageTooLongError, type EncodedMessage } from './encoding';
import { LinkFailure, type Link } from './link';
import { SmppSession, SessionUnavailable } from './session';
import { smppConfigSchema, type SmppConfig } from './smpp-config';
import { meansUnbound, statusName, verdictFor } from './status';

function connectOptions(config: SmppConfig, baseDir: string): ConnectOptions {
  const base = { host: config.host, port: config.port };
  if (config.tls === false) return base;
  const extra = config.tls === true ? {} : config.tls;
  const ca = extra.caFile ? readFileSync(resolve(baseDir, extra.caFile)) : undefined;
  // A bad CA file should stop the start, not turn into a reconnect loop.
  if (ca) createSecureContext({ ca });
  return { ...base, tls: true, ...(ca ? { ca } : {}), ...(extra.servername ? { servername: extra.servername } : {}) };
}

/** Everything that can go wrong before or around a response, as a verdict. An SMSC status is handled apart. */
function failureInit(e: unknown): ProviderErrorInit & { message: string } {
  if (e instanceof SessionUnavailable) {
    if (e.kind === 'bind_rejected') {
      return { message: e.message, verdict: 'failover', vendorStatus: e.status, vendorCode: statusName(e.status!) };
    }
    // Not bound in time: the session keeps trying, so this provider may well work on the next try.
    return { message: e.message, verdict: e.kind === 'closed' ? 'failover' : 'retryable', vendorCode: e.kind };
  }
  if (e instanceof LinkFailure) {
    // A drop, a late or abandoned response: the SMSC may or may not have the message; another try may succeed.
    const verdict = e.kind === 'encode' || e.kind === 'closed' ? 'failover' : 'retryable';
    return { message: e.message, verdict, vendorCode: e.kind };
  }
  return { message: `unexpected error: ${(e as Error)?.message ?? String(e)}`, verdict: 'failover', cause: e };
}

/**
 * SMPP 3.4 to an SMSC over one kept-open transmitter session (privacyIDEA's SmppSMSProvider connects, binds and
 * drops the connection per message, and never reads submit_sm_resp; here every response is awaited and checked).
 */
export const smppProvider = defineProvider({
  type: 'smpp',
  channels: ['sms'],
  secretKeys: ['password'],
  configSchema: smppConfigSchema,
  create(config, { logger, baseDir }) {
    const { name } = config;
    const rewrite = config.regexp ? compilePhoneRewrite(config.regexp) : undefined;
    const session = new SmppSession({
      connect: connectOptions(config, baseDir),
      bind: { system_id: config.systemId, password: config.password, system_type: config.systemType },
      enquireLinkMs: Math.round(config.enquireLinkSeconds * 1000),
      responseTimeoutMs: config.responseTimeoutMs,
      reconnect: config.reconnect,
      logger,
    });
    const fail = (e: unknown, suffix = '') => {
      const { message, ...init } = failureInit(e);
      return new ProviderError(name, `${message}${suffix}`, init);
    };

    const submitAll = (link: Link, destination: string, encoded: EncodedMessage, signal: AbortSignal) =>
      Promise.allSettled(
        encoded.parts.map((short_message) =>
          link.request(
            'submit_sm',
            {
              source_addr_ton: config.sourceAddrTon,
              source_addr_npi: config.sourceAddrNpi,
              source_addr: config.sourceAddr,
              dest_addr_ton: config.destAddrTon,
              dest_addr_npi: config.destAddrNpi,
              destination_addr: destination,
              esm_class: encoded.esmClass,
              registered_delivery: config.registeredDelivery,
              // Explicit, and short_message pre-encoded, so the package's own coding guess never applies.
              data_coding: encoded.dataCoding,
              short_message,
            },
            signal,
          ),
        ),
      );

    return {
      name,
      type: 'smpp',
      channels: ['sms'],

      async send(message, ctx) {
        let encoded: EncodedMessage;
        try {
          encoded = encodeMessage(message.text);
        } catch (e) {
          if (!(e instanceof MessageTooLongError)) throw fail(e);
          throw new ProviderError(name, e.message, { verdict: 'failover', vendorCode: 'message_too_long', notSent: true });
        }
        // Without a rule: E.164 without its '+', the international form an SMSC expects with TON 1.
        const destination = rewrite ? rewrite(message.to) : message.to.replace(/^\+/, '');
        if (!/^\d{1,20}$/.test(destination)) {
          throw new ProviderError(name, 'the number is not something SMPP can address', { verdict: 'permanent', vendorCode: 'invalid_destination' });
        }

        let link: Link;
        try {
          link = await session.ready(ctx.signal);
        } catch (e) {
          throw fail(e);
        }
        const results = await submitAll(link, destination, encoded, ctx.signal);

        const total = results.length;
        const ids: string[] = [];
        for (const [i, r] of results.entries()) {
          const part = total > 1 ? ` (part ${i + 1} of ${total})` : '';
          if (r.status === 'rejected') throw fail(r.reason, part);
          const resp: PDU = r.value;
          if (resp.command_status !== 0) {
            const code = statusName(resp.command_status);
            if (meansUnbound(resp.command_status)) session.rebind(link, `submit_sm answered ${code}`);
            throw new ProviderError(name, `the SMSC refused the message${part}: ${code}`, {
              verdict: verdictFor(resp.command_status),
              vendorStatus: resp.command_status,
              vendorCode: code,
            });
          }
          if (resp.message_id) ids.push(resp.message_id);
        }
        logger.debug({ to: maskPhone(message.to), parts: total, dataCoding: encoded.dataCoding, messageId: ids.join(',') }, 'SMSC accepted the message');
        return ids.length ? { providerMessageId: ids.join(',') } : {};
      },

      async verify() {
        try {
          await session.ready(AbortSignal.timeout(config.responseTimeoutMs));
        } catch (e) {
          throw fail(e);
        }
      },

      close: () => session.close(),
    };
  },
});
