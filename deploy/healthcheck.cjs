#!/usr/bin/env node
'use strict';
/**
 * The image's HEALTHCHECK: GET /healthz on the relay's own port, first over HTTPS (the embedded default serves a
 * self-signed certificate), then, if the server answers in plain HTTP (`server.tls: false` behind a TLS-terminating
 * load balancer), over HTTP. Exit 0 when healthy, 1 otherwise. Certificate checks are off on purpose: this only
 * asks a process on 127.0.0.1 whether it is alive and sends nothing secret; the certificate is not what is probed.
 *
 * Port: RELAY_HEALTHCHECK_PORT, else PORT (the embedded default's override), else 8443.
 */
const http = require('node:http');
const https = require('node:https');

const port = Number(process.env.RELAY_HEALTHCHECK_PORT || process.env.PORT || 8443);

function get(client, extra) {
  return new Promise((resolve, reject) => {
    const req = client.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 3000, ...extra }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', reject);
  });
}

/** What OpenSSL says when the other side answered a TLS hello in plain HTTP. */
const speaksPlainHttp = (e) => /wrong version number|packet length too long|EPROTO/i.test(`${e.code} ${e.message}`);

async function main() {
  let status;
  try {
    status = await get(https, { rejectUnauthorized: false });
  } catch (e) {
    if (!speaksPlainHttp(e)) throw e;
    status = await get(http, {});
  }
  if (status !== 200) throw new Error(`/healthz answered ${status}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`healthcheck: ${e.message || e.code || String(e)}\n`);
    process.exit(1);
  },
);
