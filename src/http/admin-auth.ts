import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import { AppError } from '../errors';
import { matchesAny } from './auth-guards';

/**
 * `Authorization: Bearer <admin.token>`, compared in constant time. Without a configured token the admin surface
 * does not exist: 404, as for any unknown path, so an unconfigured relay does not advertise it.
 */
export function requireAdminToken(config: Config, logger: Logger): RequestHandler {
  const token = config.admin.token;
  return (req, _res, next) => {
    if (!token) return next(new AppError('notFound', 'no such path'));
    const header = req.get('authorization');
    const presented = header?.match(/^Bearer[ \t]+(\S+)[ \t]*$/i)?.[1];
    if (presented !== undefined && matchesAny(presented, [token])) return next();
    logger.warn({ guard: 'adminToken', reason: header ? 'wrong or malformed bearer token' : 'no bearer token', source: req.ip, path: req.path }, 'authentication failed');
    next(new AppError('notAuthorized', 'a valid admin bearer token is required', undefined, { 'WWW-Authenticate': 'Bearer realm="messenger-relay"' }));
  };
}
