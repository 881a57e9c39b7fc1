import https from 'node:https';
import { connect, type SecureVersion } from 'node:tls';
import { clientCert, foreignCa, tlsFixture, type TlsFixture } from '../kit/certs';
import { basicHeader, smsBody, startTestRelay, testConfig, TEST_PASSWORD, type TestRelay } from '../kit/relay-harness';
import type { Pem } from '../../src/tls/certificates';

let fx: TlsFixture;
const relays: TestRelay[] = [];

async function tlsRelay(tls: Record<string, unknown>, auth: Record<string, unknown> = { basic: { username: 'fusionauth', password: TEST_PASSWORD } }) {
  const relay = await startTestRelay(
    testConfig({
      server: { host: '127.0.0.1', port: 0, tls: { cert: 'server.crt', key: 'server.key', ...tls } },
      endpoints: [{ path: '/fusionauth/sms', auth, route: 'otp' }],
    }),
    fx.dir,
  );
  relays.push(relay);
  return relay;
}

/** A real TLS handshake pinned to one protocol version; resolves with the negotiated version or the error code. */
function handshake(port: number, version: SecureVersion): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: fx.ca.cert,
      minVersion: version,
      maxVersion: version,
      // Node's own client refuses TLS 1.0/1.1 at its default security level; lower it so the server is what refuses.
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    socket.once('secureConnect', () => {
      resolve(socket.getProtocol() ?? 'unknown');
      socket.end();
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(`refused: ${e.code ?? e.message}`));
  });
}

function post(port: number, client?: Pem): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(smsBody);
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: 'localhost',
        path: '/fusionauth/sms',
        method: 'POST',
        ca: fx.ca.cert,
        cert: client?.cert,
        key: client?.key,
        headers: { Authorization: basicHeader(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  fx = await tlsFixture();
});
afterAll(() => Promise.all(relays.map((r) => r.close())));

describe('TLS served directly', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await tlsRelay({});
  });

  it.each(['TLSv1', 'TLSv1.1'] as const)('refuses %s and logs the refused handshake', async (version) => {
    expect(await handshake(relay.port, version)).toMatch(/^refused: /);
    expect(relay.logs()).toContain('TLS handshake refused');
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)('accepts %s', async (version) => {
    expect(await handshake(relay.port, version)).toBe(version);
  });

  it('delivers a FusionAuth message over HTTPS to a client that trusts only the local CA', async () => {
    const res = await post(relay.port);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).status).toBe('delivered');
  });

  it('refuses TLS 1.2 when configured for 1.3 only', async () => {
    const strict = await tlsRelay({ minVersion: 'TLSv1.3' });
    expect(await handshake(strict.port, 'TLSv1.2')).toMatch(/^refused: /);
    expect(await handshake(strict.port, 'TLSv1.3')).toBe('TLSv1.3');
  });
});

describe('client certificates (mTLS)', () => {
  let relay: TestRelay;
  let pinned: TestRelay;
  let good: Pem;
  let otherName: Pem;
  let foreign: Pem;
  let forged: Pem;

  beforeAll(async () => {
    good = await clientCert(fx.ca, 'fusionauth');
    otherName = await clientCert(fx.ca, 'someone-else');
    foreign = await clientCert(await foreignCa(), 'fusionauth');
    forged = await clientCert(await foreignCa('messenger-relay local CA'), 'fusionauth');
    relay = await tlsRelay({ clientCa: 'ca.crt' }, { clientCert: {} });
    pinned = await tlsRelay({ clientCa: 'ca.crt' }, { clientCert: { commonNames: ['fusionauth'] }, basic: { username: 'fusionauth', password: TEST_PASSWORD } });
  });

  it('accepts a certificate signed by the configured CA', async () => {
    expect((await post(relay.port, good)).status).toBe(200);
    expect((await post(relay.port, otherName)).status).toBe(200);
  });

  it('refuses a missing certificate or one from another CA with 403 and says why in the log', async () => {
    const none = await post(relay.port);
    expect(none.status).toBe(403);
    expect(JSON.parse(none.body).generalErrors[0].code).toBe('[forbidden]');
    expect((await post(relay.port, foreign)).status).toBe(403);
    expect(relay.logs()).toContain('no trusted client certificate');
  });

  it('refuses a certificate from a CA that only copies the name of ours (403, or OpenSSL resets the handshake)', async () => {
    const outcome = await post(relay.port, forged).then(
      (r) => r.status,
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect([403, 'ECONNRESET']).toContain(outcome);
  });

  it('pins the subject common name when configured, combined with Basic auth', async () => {
    expect((await post(pinned.port, good)).status).toBe(200);
    expect((await post(pinned.port, otherName)).status).toBe(403);
    expect(pinned.logs()).toContain('client certificate common name not allowed');
  });
});
