import { basicHeader, smsBody } from './relay-harness';

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** POSTs a FusionAuth SMS body (any part overridden) to a relay endpoint with the harness's Basic credentials. */
export async function postMessage(
  base: string,
  body: Record<string, unknown> = {},
  opts: { path?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(`${base}${opts.path ?? '/fusionauth/sms'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicHeader(), ...opts.headers },
    body: JSON.stringify({ ...smsBody, ...body }),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** A distinct SMS for `phone` (the text differs per call, so dedupe never merges them). */
let seq = 0;
export function smsTo(phone: string): Record<string, unknown> {
  const code = String(100000 + (seq++ % 900000));
  return { phoneNumber: phone, code, textMessage: `Your code is ${code}` };
}

export async function scrape(url: string, token?: string): Promise<string> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.status !== 200) throw new Error(`metrics answered ${res.status}`);
  return res.text();
}

/** The value of one sample line in Prometheus text, e.g. metric('relay_limit_hits_total{rule="perPrefix"}'). */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
