import express, { type Request, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { EndpointConfig } from '../config/schema';
import { AppError } from '../errors';
import { parseFusionAuthBody } from '../inbound/fusionauth';
import type { Dispatcher } from '../relay/dispatcher';
import { buildAuthGuards } from './auth-guards';

/**
 * FusionAuth may send Content-Type twice (its own and an admin-added one; Node keeps the first), so the body is
 * read as bytes whatever the header says and parsed as JSON here.
 */
function parseJson(req: Request): unknown {
  const buf = req.body as Buffer | undefined;
  if (!Buffer.isBuffer(buf) || buf.length === 0) throw new AppError('invalidJson', 'the body is empty');
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('invalidJson', 'the body is not valid JSON');
  }
}

export interface EndpointDeps {
  dispatcher: Dispatcher;
  logger: Logger;
  bodyLimitBytes: number;
}

export function endpointRouter(endpoint: EndpointConfig, deps: EndpointDeps): Router {
  const router = express.Router({ caseSensitive: true, strict: true });
  const log = deps.logger.child({ endpoint: endpoint.path });

  const methodGuard: RequestHandler = (req, res, next) => {
    if (req.method === 'POST') return next();
    res.setHeader('Allow', 'POST');
    next(new AppError('methodNotAllowed', `${endpoint.path} accepts POST only`));
  };

  const handle: RequestHandler = async (req, res) => {
    const message = parseFusionAuthBody(parseJson(req), endpoint);
    const outcome = await deps.dispatcher.deliver(endpoint, message, { requestId: String(req.id), logger: req.log });
    res.status(200).json({ id: outcome.id, status: outcome.status });
  };

  router.all(endpoint.path, methodGuard, ...buildAuthGuards(endpoint.auth, log),
    express.raw({ type: () => true, limit: deps.bodyLimitBytes, inflate: false }), handle);
  return router;
}
