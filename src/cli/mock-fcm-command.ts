import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors';
import { MockFcm } from '../push/mock-fcm/mock-fcm-server';
import type { Command } from './command';

/** An http(s) origin, nothing after it: the mock serves `/token` and `/v1/…` at its root. */
function publicOrigin(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new ConfigError([`--public-url must be an http:// or https:// origin such as http://mock-fcm:4000, not "${value}"`]);
  }
  return url.origin;
}

export const mockFcmCommand: Command = {
  name: 'mock-fcm',
  serves: true,
  usage: `mock-fcm [--port 9099] [--host 127.0.0.1] [--public-url URL] [--project demo-project] [--write-service-account FILE]
                                    a local FCM HTTP v1 + OAuth token endpoint for development; writes its service account.
                                    --public-url: how others reach it when not at the listening address (http://mock-fcm:4000)`,
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: 'string', default: '9099' },
        host: { type: 'string', default: '127.0.0.1' },
        'public-url': { type: 'string' },
        project: { type: 'string', default: 'demo-project' },
        'write-service-account': { type: 'string' },
      },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError([`--port must be a port number, not "${values.port}"`]);
    const publicUrl = publicOrigin(values['public-url']);
    const file = values['write-service-account'];
    const path = file === undefined ? undefined : resolve(ctx.cwd, file);
    // Whoever waits for the file (a shell loop, a compose healthcheck) must not find the last run's: its key is gone.
    if (path) await rm(path, { force: true });
    const mock = await MockFcm.start({ host: values.host, port, projectId: values.project, publicUrl });
    ctx.say(`mock FCM listening on ${mock.listenUrl} (project ${mock.projectId})`);
    if (mock.url !== mock.listenUrl) ctx.say(`  reached as ${mock.url}`);
    ctx.say(`  POST ${mock.tokenUri}                         OAuth JWT-bearer grant`);
    ctx.say(`  POST ${mock.url}/v1/projects/${mock.projectId}/messages:send`);
    ctx.say(`  GET  ${mock.url}/__mock/messages[?token=…]    what it received`);
    ctx.say(`  POST ${mock.url}/__mock/errors                 {"error":"UNREGISTERED","token":"…","times":1}`);
    if (path) {
      await mkdir(dirname(path), { recursive: true });
      // Written under another name and renamed, so a reader that sees the file sees all of it.
      const partial = `${path}.${process.pid}.partial`;
      await writeFile(partial, `${JSON.stringify(mock.serviceAccount(), null, 2)}\n`, { mode: 0o600 });
      await rename(partial, path);
      ctx.say(`Wrote its service account to ${path}: point the fcm provider's serviceAccountJson at it and endpointBaseUrl at ${mock.url}.`);
    } else {
      ctx.say('Pass --write-service-account FILE to get a service-account file for it (its key is made anew at each start).');
    }
    return { stop: () => mock.close() };
  },
};
