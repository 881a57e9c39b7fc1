import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { caAndServer, DEFAULT_NAMES, writePem } from '../tls/certificates';
import type { Command } from './command';

export const certCommand: Command = {
  name: 'cert',
  usage: `cert [--dir certs] [--name HOST ...] [--force]
                                    make a local CA and a server certificate for localhost and each --name; print
                                    the CA for FusionAuth (an existing CA is printed again unless --force)`,
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      options: { dir: { type: 'string', default: 'certs' }, name: { type: 'string', multiple: true }, force: { type: 'boolean', default: false } },
    });
    const dir = resolve(ctx.cwd, values.dir!);
    const caFile = join(dir, 'ca.crt');
    // A CA made earlier may already be pasted into FusionAuth: print it again rather than replace it unasked. The
    // embedded default's self-signed server certificate (no CA beside it) is replaced without --force: this command
    // is the documented next step after `npm start`.
    if (!values.force && existsSync(caFile)) {
      ctx.say(`${dir} already holds a CA (pass --force to make a new one and a new server certificate).`);
      ctx.say(`Paste this CA certificate into the Generic Messenger's "SSL certificate" field in FusionAuth:\n`);
      ctx.out(readFileSync(caFile, 'utf8'));
      return;
    }
    // The local names stay, so the README's checks against https://localhost keep working after --name.
    const names = [...new Set([...(values.name ?? []), ...DEFAULT_NAMES])];
    const { ca, server } = await caAndServer(names);
    await writePem(dir, 'ca', ca);
    await writePem(dir, 'server', server);
    ctx.say(`Wrote ${dir}/ca.{crt,key} and ${dir}/server.{crt,key} for ${names.join(', ')}. Restart the relay to serve the new certificate.`);
    ctx.say(`Paste this CA certificate into the Generic Messenger's "SSL certificate" field in FusionAuth:\n`);
    ctx.out(ca.cert);
  },
};
