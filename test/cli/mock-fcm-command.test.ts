import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliContext, Running } from '../../src/cli/command';
import { mockFcmCommand } from '../../src/cli/mock-fcm-command';
import { AccessTokens } from '../../src/providers/fcm/access-tokens';
import { HttpClient } from '../../src/providers/fcm/http-client';
import { loadServiceAccount } from '../../src/providers/fcm/service-account';
import { freePort } from '../kit/processes';

/**
 * The mock as docker-compose.yml runs it: listening on one address, reached by another name. The relay's own
 * token client, given the file the mock wrote, must get an access token through the name in the file.
 */
describe('mock-fcm command', () => {
  let dir: string;
  const running: Running[] = [];
  const said: string[] = [];
  const ctx = (): CliContext => ({ env: {}, cwd: dir, say: (t) => said.push(t), out: () => undefined });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'relay-mock-fcm-'));
    said.length = 0;
  });
  afterEach(async () => {
    while (running.length) await running.pop()!.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('--public-url names the mock in its service account, and the relay gets a token through that name', async () => {
    const port = await freePort();
    const publicUrl = `http://localhost:${port}`;
    running.push((await mockFcmCommand.run(['--port', String(port), '--public-url', `${publicUrl}/`, '--write-service-account', 'sa.json'], ctx())) as Running);
    expect(said.join('\n')).toContain(`mock FCM listening on http://127.0.0.1:${port}`);
    expect(said.join('\n')).toContain(`reached as ${publicUrl}`);

    const account = loadServiceAccount(join(dir, 'sa.json'));
    expect(account.tokenUri).toBe(`${publicUrl}/token`);
    const http = new HttpClient({ timeoutMs: 5000 });
    try {
      const tokens = new AccessTokens({ account, http, timeoutMs: 5000 });
      expect(await tokens.get(AbortSignal.timeout(5000))).toMatch(/^ya29\.mock-/);
    } finally {
      await http.close();
    }
  });

  it("replaces a service-account file left by an earlier run, and leaves no partial file behind", async () => {
    await writeFile(join(dir, 'sa.json'), '{"left":"by an earlier run"}');
    running.push((await mockFcmCommand.run(['--port', '0', '--write-service-account', 'sa.json'], ctx())) as Running);
    const sa = JSON.parse(await readFile(join(dir, 'sa.json'), 'utf8')) as Record<string, string>;
    expect(sa).toMatchObject({ type: 'service_account', project_id: 'demo-project' });
    expect(await readdir(dir)).toEqual(['sa.json']);
  });

  it.each(['mock-fcm:4000', 'ftp://mock-fcm:4000', 'http://mock-fcm:4000/base', 'http://user:pw@mock-fcm:4000'])('refuses --public-url %s', async (url) => {
    await expect(mockFcmCommand.run(['--port', '0', '--public-url', url], ctx())).rejects.toThrow(/--public-url must be an http:\/\/ or https:\/\/ origin/);
  });
});
