'use strict';
// The limit: node:http reading a JSON body and answering 200, nothing else. Plain JS so no loader inflates its memory.
const { createServer } = require('node:http');

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    } catch {
      res.writeHead(400).end();
    }
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
