import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors';
import { caAndServer, DEFAULT_NAMES, writePem } from '../tls/certificates';
import type { Command } from './command';

export const certCommand: Command = {
  name: 'cert',
  usage: `cert [--dir certs] [--name HOST ...] [--force]
                                    make a local CA and a server certificate; print the CA for FusionAuth`,
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      options: { dir: { type: 'string', default: 'certs' }, name: { type: 'string', multiple: true }, force: { type: 'boolean', default: false } },
    });
    const dir = resolve(ctx.cwd, values.dir!);
    if (!values.force && (existsSync(join(dir, 'ca.crt')) || existsSync(join(dir, 'server.crt')))) {
      throw new ConfigError([`${dir} already holds certificates; pass --force to replace them`]);
    }
    const names = values.name?.length ? values.name : DEFAULT_NAMES;
    const { ca, server } = await caAndServer(names);
    await writePem(dir, 'ca', ca);
    await writePem(dir, 'server', server);
    ctx.say(`Wrote ${dir}/ca.{crt,key} and ${dir}/server.{crt,key} for ${names.join(', ')}.`);
    ctx.say(`Paste this CA certificate into the Generic Messenger's "SSL certificate" field in FusionAuth:\n`);
    ctx.out(ca.cert);
  },
};
