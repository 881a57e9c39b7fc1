import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { embeddedDefault, ensureCredentials } from './config/embedded-default';
import { loadConfigFile, type LoadedConfig } from './config/load-config';
import { ConfigError } from './errors';
import { createLogger } from './logger';
import { startRelay } from './server';
import { caAndServer, DEFAULT_NAMES, ensureServerCert, writePem } from './tls/certificates';

/** The only module that reads the environment, writes to the terminal for humans, and exits the process. */

const USAGE = `usage: messenger-relay [serve] [--config FILE]      start the relay (no config: the embedded default)
       messenger-relay check-config FILE           validate a configuration file and exit
       messenger-relay cert [--dir certs] [--name HOST ...] [--force]
                                                    make a local CA and a server certificate; print the CA for FusionAuth
Environment: RELAY_CONFIG (config file), PORT (embedded default only), LOG_LEVEL`;

function say(text: string): void {
  process.stderr.write(`${text}\n`);
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  const file = values.config ?? process.env.RELAY_CONFIG;
  let loaded: LoadedConfig;
  if (file) {
    loaded = loadConfigFile(file, process.env);
  } else {
    const baseDir = process.cwd();
    if (await ensureServerCert(join(baseDir, 'certs'))) say('Created a self-signed certificate in certs/server.crt (localhost, 127.0.0.1, ::1).');
    const { credentials, created } = ensureCredentials(join(baseDir, 'data'));
    loaded = embeddedDefault(baseDir, credentials, process.env.PORT ? Number(process.env.PORT) : undefined);
    say('No configuration given: running the embedded default (see docs/configuration.md to write your own).');
    if (created) {
      say(`Basic auth for FusionAuth's Generic Messenger — shown once, kept in data/credentials.json:`);
      say(`  username: ${credentials.username}`);
      say(`  password: ${credentials.password}`);
    } else {
      say(`Basic auth: username ${credentials.username}, password in data/credentials.json`);
    }
  }
  const logger = createLogger(process.env.LOG_LEVEL ?? loaded.config.log.level);
  const relay = await startRelay(loaded, logger);
  for (const e of loaded.config.endpoints) logger.info({ url: `${relay.url}${e.path}` }, 'listening');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    relay.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function checkConfig(args: string[]): void {
  const file = args[0] ?? process.env.RELAY_CONFIG;
  if (!file) throw new ConfigError(['check-config needs a file: messenger-relay check-config FILE']);
  const { config } = loadConfigFile(file, process.env);
  say(`${file}: valid (${config.endpoints.length} endpoint(s), ${Object.keys(config.routes).length} route(s), ${Object.keys(config.providers).length} provider(s))`);
}

async function cert(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { dir: { type: 'string', default: 'certs' }, name: { type: 'string', multiple: true }, force: { type: 'boolean', default: false } },
  });
  const dir = resolve(values.dir!);
  if (!values.force && (existsSync(join(dir, 'ca.crt')) || existsSync(join(dir, 'server.crt')))) {
    throw new ConfigError([`${dir} already holds certificates; pass --force to replace them`]);
  }
  const names = values.name?.length ? values.name : DEFAULT_NAMES;
  const { ca, server } = await caAndServer(names);
  await writePem(dir, 'ca', ca);
  await writePem(dir, 'server', server);
  say(`Wrote ${dir}/ca.{crt,key} and ${dir}/server.{crt,key} for ${names.join(', ')}.`);
  say(`Paste this CA certificate into the Generic Messenger's "SSL certificate" field in FusionAuth:\n`);
  process.stdout.write(ca.cert);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      return serve([]);
    case 'serve':
      return serve(rest);
    case 'check-config':
      return checkConfig(rest);
    case 'cert':
      return cert(rest);
    case '--help':
    case '-h':
    case 'help':
      say(USAGE);
      return;
    default:
      if (command.startsWith('-')) return serve(argv);
      say(`unknown command "${command}"\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof ConfigError) say(e.message);
  else say(`messenger-relay: ${(e as Error)?.message ?? String(e)}`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
