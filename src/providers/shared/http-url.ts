import { isIP } from 'node:net';
import { z } from 'zod';

/** 127.0.0.0/8, ::1 and localhost: where a plain-HTTP test peer may live without a credential crossing a network. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export interface HttpUrlRules {
  /** `loopback`: plain http only towards this machine (a vendor that takes a token); `any`: the operator decides. */
  plainHttp: 'any' | 'loopback';
}

/**
 * An absolute http(s) URL, checked once at start. Credentials in the URL are refused: they would travel into logs
 * and error texts with the URL, so they belong in the provider's secret keys instead.
 */
export function httpUrl(rules: HttpUrlRules) {
  return z.string().superRefine((value, ctx) => {
    if (!URL.canParse(value)) return void ctx.addIssue({ code: 'custom', message: 'must be an absolute URL such as https://host/path' });
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return void ctx.addIssue({ code: 'custom', message: 'must use https (or http)' });
    if (url.username || url.password) return void ctx.addIssue({ code: 'custom', message: 'must not carry credentials; use the auth keys' });
    if (url.hash) return void ctx.addIssue({ code: 'custom', message: 'must not have a #fragment' });
    if (rules.plainHttp === 'loopback' && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      ctx.addIssue({ code: 'custom', message: 'must use https (plain http is allowed only to 127.0.0.1 or localhost, for tests)' });
    }
  });
}
