import type { ResolvedHttpConfig } from './resolve-config';
import { fillValue, type JsonValue, type TemplateValues } from '../shared/template';

export interface GatewayRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/**
 * Form and query encoding the way a gateway expects from an HTML form: a list repeats its key (as Python
 * `requests` does), null drops the key, numbers and booleans become their text (`true`, where requests writes
 * Python's `True`).
 */
export function formEncode(values: Record<string, JsonValue>): string {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item !== null) form.append(k, String(item));
    }
  }
  return form.toString();
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((h) => h.toLowerCase() === name);
}

export function buildRequest(c: ResolvedHttpConfig, tags: TemplateValues, basicAuth: string | undefined): GatewayRequest {
  const values: Record<string, JsonValue> = { ...c.parameters };
  for (const [k, v] of Object.entries(c.options)) values[k] = fillValue(v, tags);
  const headers: Record<string, string> = { ...c.headers };
  if (!hasHeader(headers, 'user-agent')) headers['user-agent'] = 'messenger-relay';
  if (basicAuth) headers.authorization = basicAuth;

  const url = new URL(c.url);
  url.hash = '';
  if (c.method === 'GET') {
    const query = formEncode(values);
    // Appended as text: going through url.searchParams would re-encode a query already in the configured URL.
    if (query) url.search = url.search ? `${url.search}&${query}` : `?${query}`;
    return { url: url.href, method: 'GET', headers };
  }
  const json = c.body === 'json';
  if (!hasHeader(headers, 'content-type')) headers['content-type'] = json ? 'application/json' : 'application/x-www-form-urlencoded';
  return { url: url.href, method: 'POST', headers, body: json ? JSON.stringify(values) : formEncode(values) };
}
