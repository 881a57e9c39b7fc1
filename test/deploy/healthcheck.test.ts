import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureServerCert } from '../../src/tls/certificates';
import { startTestRelay, testConfig } from '../kit/relay-harness';

/** The image's HEALTHCHECK script, run as Docker runs it, against a real relay with TLS on and with TLS off. */
const script = join(__dirname, '..', '..', 'deploy', 'healthcheck.cjs');

function healthcheck(port: number): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script], { env: { PATH: process.env.PATH, RELAY_HEALTHCHECK_PORT: String(port) }, timeout: 10_000 }, (err, _out, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

describe('deploy/healthcheck.cjs', () => {
  it('passes on the embedded default’s HTTPS with a self-signed certificate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-health-'));
    await ensureServerCert(join(dir, 'certs'));
    const relay = await startTestRelay(testConfig({ server: { host: '127.0.0.1', port: 0, tls: { cert: 'certs/server.crt', key: 'certs/server.key' } } }), dir);
    try {
      expect(relay.url).toMatch(/^https:/);
      expect(await healthcheck(relay.port)).toEqual({ code: 0, stderr: '' });
    } finally {
      await relay.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('passes on plain HTTP (tls: false behind a load balancer)', async () => {
    const relay = await startTestRelay();
    try {
      expect(relay.url).toMatch(/^http:/);
      expect(await healthcheck(relay.port)).toEqual({ code: 0, stderr: '' });
    } finally {
      await relay.close();
    }
  });

  it('fails when nothing listens, and when /healthz does not answer 200', async () => {
    const sick = http.createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((ok) => sick.listen(0, '127.0.0.1', ok));
    const port = (sick.address() as AddressInfo).port;
    try {
      const unhealthy = await healthcheck(port);
      expect(unhealthy.code).toBe(1);
      expect(unhealthy.stderr).toContain('/healthz answered 503');
    } finally {
      await new Promise((ok) => sick.close(ok));
    }
    const down = await healthcheck(port);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('ECONNREFUSED');
  });
});
