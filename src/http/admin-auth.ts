import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { matchesAny } from './auth-guards';

/**
 * Guards the operator's API (`/admin/...`, dispatch targets) with `admin.token` as a Bearer token, compared in
 * constant time. With no token configured the routes do not exist: 404, so a default install exposes nothing.
 */
export function requireAdminToken(token: string | undefined, logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!token) return next(new AppError('notFound', 'no such path'));
    const header = req.get('authorization') ?? '';
    const presented = /^Bearer (.+)$/i.exec(header)?.[1];
    if (presented !== undefined && matchesAny(presented, [token])) return next();
    logger.warn({ guard: 'admin', reason: presented === undefined ? 'no bearer token' : 'wrong bearer token', source: req.ip, path: req.path }, 'authentication failed');
    res.setHeader('WWW-Authenticate', 'Bearer realm="messenger-relay admin"');
    next(new AppError('notAuthorized', 'authentication failed'));
  };
}
