#!/usr/bin/env node
'use strict';
/**
 * A local SMS gateway sink for the compose demo: it stands where a real HTTP SMS gateway would, accepts any POST
 * (JSON or form-encoded), prints what arrived on one line, as a phone would show it, and answers 200 with an id.
 * It stores nothing. GET /healthz answers 200 for the compose healthcheck.
 */
const buffer = require('node:buffer');
const http = require('node:http');
const { URLSearchParams } = require('node:url');

const port = Number(process.env.PORT || 9090);
const host = process.env.HOST || '0.0.0.0';
const LIMIT = 64 * 1024;
let count = 0;

function parse(type, text) {
  if (/json/i.test(type || '')) {
    try {
      return JSON.parse(text);
    } catch {
      return { raw: text };
    }
  }
  if (/x-www-form-urlencoded/i.test(type || '')) return Object.fromEntries(new URLSearchParams(text));
  return { raw: text };
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > LIMIT) {
      res.writeHead(413).end();
      req.destroy();
    } else chunks.push(c);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    const id = `sink-${++count}`;
    const body = parse(req.headers['content-type'], buffer.Buffer.concat(chunks).toString('utf8'));
    process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), id, path: req.url, message: body })}\n`);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'OK', id }));
  });
});

server.listen(port, host, () => process.stdout.write(`sms-sink listening on :${server.address().port}\n`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
