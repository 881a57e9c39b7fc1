'use strict';
// The receiver FusionAuth's documentation shows ("Securing HTTP requests"): express.json(), one header compared
// with `!==`, 200. No TLS, no logging, no record, no delivery: the baseline the relay is measured against.
const express = require('express');

const app = express();
app.use(express.json());
app.post('/fusionauth-generic-messenger', (req, res) => {
  if (req.header('Authorization') !== 'API-KEY') {
    res.status(401).send({ errors: [{ code: '[notAuthorized]' }] });
    return;
  }
  // process the request
  res.status(200).send();
});
app.listen(Number(process.env.PORT), '127.0.0.1');
