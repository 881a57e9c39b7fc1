import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { maskPhone } from '../../redact';
import { defineProvider, ProviderError } from '../provider';

/**
 * The development "phone": prints each message where a person at the terminal sees it arrive, and appends it
 * to an outbox file. It deliberately shows the code — that is its purpose — so it writes to its own stream,
 * never to the structured log, and it refuses nothing. Do not route production traffic to it.
 */
export const logProvider = defineProvider({
  type: 'log',
  channels: ['sms', 'voice'],
  secretKeys: [],
  configSchema: z.object({
    print: z.enum(['stdout', 'stderr', 'none']).default('stdout'),
    /** JSON lines, one per message, with the full text: the local outbox. */
    outboxFile: z.string().optional(),
  }),
  create(config, { logger, baseDir }) {
    const outbox = config.outboxFile && resolve(baseDir, config.outboxFile);
    let seq = 0;
    return {
      name: config.name,
      type: 'log',
      channels: ['sms', 'voice'],
      async send(message, ctx) {
        if (ctx.signal.aborted) throw new ProviderError(config.name, 'aborted before sending', { verdict: 'failover', vendorCode: 'aborted' });
        const id = `log-${Date.now().toString(36)}-${(seq++).toString(36)}`;
        if (config.print !== 'none') {
          const stream = config.print === 'stdout' ? process.stdout : process.stderr;
          stream.write(`\n  📱 ${message.channel.toUpperCase()} to ${message.to}${message.test ? ' (test)' : ''}\n     ${message.text}\n\n`);
        }
        if (outbox) {
          await mkdir(dirname(outbox), { recursive: true });
          const line = { id, at: new Date().toISOString(), deliveryId: ctx.deliveryId, ...message };
          await appendFile(outbox, `${JSON.stringify(line)}\n`, { mode: 0o600 });
        }
        logger.debug({ to: maskPhone(message.to), providerMessageId: id }, 'log provider took the message');
        return { providerMessageId: id };
      },
    };
  },
});
