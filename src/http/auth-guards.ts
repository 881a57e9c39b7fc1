import { createHash, timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Request, RequestHandler } from 'express';
import basicAuth from 'express-basic-auth';
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';
import type { AuthConfig } from '../config/schema';
import { AppError } from '../errors';

const digest = (v: string) => createHash('sha256').update(v).digest();

/** Compares against every accepted value without stopping early, so timing reveals neither which nor how much matched. */
export function matchesAny(presented: string, accepted: readonly string[]): boolean {
  const p = digest(presented);
  let ok = false;
  for (const a of accepted) ok = timingSafeEqual(p, digest(a)) || ok;
  return ok;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) is the IPv4 range it maps. */
function unwrapMapped(addr: ipaddr.IPv4 | ipaddr.IPv6, bits: number): Range {
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return [(addr as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)];
  }
  return [addr, bits];
}

export function parseRanges(cidrs: readonly string[]): Range[] {
  return cidrs.map((c) => {
    if (c.includes('/')) return unwrapMapped(...ipaddr.parseCIDR(c));
    const addr = ipaddr.parse(c);
    return unwrapMapped(addr, addr.kind() === 'ipv4' ? 32 : 128);
  });
}

/** `::ffff:203.0.113.10` and `203.0.113.10` are one client; IPv4 rules apply to both. */
export function ipAllowed(ip: string | undefined, ranges: readonly Range[]): boolean {
  if (!ip || !ipaddr.isValid(ip)) return false;
  const addr = ipaddr.process(ip);
  return ranges.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits));
}

const REALM = 'messenger-relay';

/** `limits.failedAuth`: checked before any guard runs, charged on every refused credential. */
export interface AuthFailureBudget {
  refuse(req: Request): Promise<AppError | undefined>;
  charge(req: Request): void;
}

function fail(log: Logger, req: Request, guard: string, reason: string, budget?: AuthFailureBudget): void {
  // The request's own logger when there is one, so the line carries the request id FusionAuth can be asked about.
  (req.log ?? log).warn({ guard, reason, source: req.ip, peer: req.socket.remoteAddress, path: req.path }, 'authentication failed');
  // A source outside allowFrom can never pass anyway; only wrong credentials spend the budget.
  if (guard !== 'allowFrom') budget?.charge(req);
}

/**
 * The endpoint's guards, cheapest first; every configured guard must pass (AND).
 * Log lines say which guard refused and why, never what was presented.
 */
export function buildAuthGuards(auth: AuthConfig, log: Logger, budget?: AuthFailureBudget): RequestHandler[] {
  const guards: RequestHandler[] = [];

  if (budget) {
    guards.push(async (req, _res, next) => next(await budget.refuse(req)));
  }

  if (auth.allowFrom) {
    const ranges = parseRanges(auth.allowFrom);
    guards.push((req, _res, next) => {
      if (ipAllowed(req.ip, ranges)) return next();
      fail(log, req, 'allowFrom', 'source address not in allow-list');
      next(new AppError('forbidden', 'source address not allowed'));
    });
  }

  if (auth.clientCert) {
    const names = auth.clientCert.commonNames;
    guards.push((req, _res, next) => {
      const socket = req.socket as TLSSocket;
      if (!socket.encrypted || !socket.authorized) {
        fail(log, req, 'clientCert', socket.encrypted ? `no trusted client certificate (${socket.authorizationError ?? 'none sent'})` : 'not a TLS connection', budget);
        return next(new AppError('forbidden', 'a trusted client certificate is required'));
      }
      const cn = socket.getPeerCertificate()?.subject?.CN;
      const cnValue = Array.isArray(cn) ? cn[0] : cn;
      if (names && (!cnValue || !names.includes(cnValue))) {
        fail(log, req, 'clientCert', 'client certificate common name not allowed', budget);
        return next(new AppError('forbidden', 'client certificate not allowed'));
      }
      next();
    });
  }

  if (auth.headers) {
    const rules = Object.entries(auth.headers);
    // An endpoint with Basic challenges on every 401, whichever guard refused first.
    const challenge = auth.basic ? { 'WWW-Authenticate': `Basic realm="${REALM}"` } : undefined;
    guards.push((req, _res, next) => {
      for (const [name, accepted] of rules) {
        const value = req.get(name);
        if (value === undefined || !matchesAny(value, accepted)) {
          fail(log, req, 'headers', `${value === undefined ? 'missing' : 'wrong'} ${name} header`, budget);
          return next(new AppError('notAuthorized', 'authentication failed', undefined, challenge));
        }
      }
      next();
    });
  }

  if (auth.basic) {
    const { username, password } = auth.basic;
    guards.push(
      basicAuth({
        authorizer: (u: string, p: string) => {
          // Both comparisons run before either result is used, so a wrong username takes as long as a wrong password.
          const userOk = basicAuth.safeCompare(u, username);
          const passOk = basicAuth.safeCompare(p, password);
          return userOk && passOk;
        },
        challenge: true,
        realm: REALM,
        unauthorizedResponse: (req: Request) => {
          fail(log, req, 'basic', req.get('authorization') ? 'wrong credentials' : 'no credentials', budget);
          return new AppError('notAuthorized', 'authentication failed').toBody();
        },
      }),
    );
  }

  return guards;
}
