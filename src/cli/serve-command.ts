import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { embeddedDefault, ensureCredentials } from '../config/embedded-default';
import { loadConfigFile, type LoadedConfig } from '../config/load-config';
import { createLogger } from '../logger';
import { startRelay } from '../server';
import { ensureServerCert } from '../tls/certificates';
import type { CliContext, Command } from './command';

async function embedded(ctx: CliContext): Promise<LoadedConfig> {
  const baseDir = ctx.cwd;
  if (await ensureServerCert(join(baseDir, 'certs'))) ctx.say('Created a self-signed certificate in certs/server.crt (localhost, 127.0.0.1, ::1).');
  const { credentials, created } = ensureCredentials(join(baseDir, 'data'));
  const loaded = embeddedDefault(baseDir, credentials, ctx.env.PORT ? Number(ctx.env.PORT) : undefined);
  ctx.say('No configuration given: running the embedded default (see docs/configuration.md to write your own).');
  if (created) {
    ctx.say(`Basic auth for FusionAuth's Generic Messenger, shown once and kept in data/credentials.json:`);
    ctx.say(`  username: ${credentials.username}`);
    ctx.say(`  password: ${credentials.password}`);
  } else {
    ctx.say(`Basic auth: username ${credentials.username}, password in data/credentials.json`);
  }
  return loaded;
}

export const serveCommand: Command = {
  name: 'serve',
  serves: true,
  usage: 'serve [--config FILE]              start the relay (no config: the embedded default)',
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
    const file = values.config ?? ctx.env.RELAY_CONFIG;
    const loaded = file ? loadConfigFile(file, ctx.env) : await embedded(ctx);
    const logger = createLogger(ctx.env.LOG_LEVEL ?? loaded.config.log.level);
    const relay = await startRelay(loaded, logger);
    for (const e of loaded.config.endpoints) logger.info({ url: `${relay.url}${e.path}` }, 'listening');
    if (!file) ctx.say(`\nReady: POST FusionAuth messages to ${relay.url}/fusionauth/sms\n`);
    return {
      stop: async () => {
        logger.info('shutting down');
        await relay.close();
        logger.flush();
      },
    };
  },
};
