import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors';
import { MockFcm } from '../push/mock-fcm/mock-fcm-server';
import type { Command } from './command';

export const mockFcmCommand: Command = {
  name: 'mock-fcm',
  serves: true,
  usage: `mock-fcm [--port 9099] [--host 127.0.0.1] [--project demo-project] [--write-service-account FILE]
                                    a local FCM HTTP v1 + OAuth token endpoint for development; writes its service account`,
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: 'string', default: '9099' },
        host: { type: 'string', default: '127.0.0.1' },
        project: { type: 'string', default: 'demo-project' },
        'write-service-account': { type: 'string' },
      },
    });
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError([`--port must be a port number, not "${values.port}"`]);
    const mock = await MockFcm.start({ host: values.host, port, projectId: values.project });
    ctx.say(`mock FCM listening on ${mock.url} (project ${mock.projectId})`);
    ctx.say(`  POST ${mock.tokenUri}                         OAuth JWT-bearer grant`);
    ctx.say(`  POST ${mock.url}/v1/projects/${mock.projectId}/messages:send`);
    ctx.say(`  GET  ${mock.url}/__mock/messages[?token=…]    what it received`);
    ctx.say(`  POST ${mock.url}/__mock/errors                 {"error":"UNREGISTERED","token":"…","times":1}`);
    const file = values['write-service-account'];
    if (file) {
      const path = resolve(ctx.cwd, file);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `${JSON.stringify(mock.serviceAccount(), null, 2)}\n`, { mode: 0o600 });
      ctx.say(`Wrote its service account to ${path}: point the fcm provider's serviceAccountJson at it and endpointBaseUrl at ${mock.url}.`);
    } else {
      ctx.say('Pass --write-service-account FILE to get a service-account file for it (its key is made anew at each start).');
    }
    return { stop: () => mock.close() };
  },
};
