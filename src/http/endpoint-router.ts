import express, { type Request, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { EndpointConfig } from '../config/schema';
import { AppError } from '../errors';
import { parseFusionAuthBody } from '../inbound/fusionauth';
import type { Dispatcher } from '../relay/dispatcher';
import type { RequestGuard } from '../relay/request-guard';
import { buildAuthGuards, type AuthFailureBudget } from './auth-guards';
import type { RelayMetrics } from './metrics';

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
  /** Duplicates and abuse limits, between parsing and delivery. */
  guard?: RequestGuard;
  /** limits.failedAuth, consulted before the endpoint's guards. */
  authBudget?: AuthFailureBudget;
  metrics?: RelayMetrics;
}

export function endpointRouter(endpoint: EndpointConfig, deps: EndpointDeps): Router {
  const router = express.Router({ caseSensitive: true, strict: true });
  const log = deps.logger.child({ endpoint: endpoint.path });

  const methodGuard: RequestHandler = (req, res, next) => {
    if (req.method === 'POST') {
      res.locals.receivedAt = Date.now();
      return next();
    }
    res.setHeader('Allow', 'POST');
    next(new AppError('methodNotAllowed', `${endpoint.path} accepts POST only`));
  };

  const handle: RequestHandler = async (req, res) => {
    const message = parseFusionAuthBody(parseJson(req), endpoint);
    const receivedAt = res.locals.receivedAt as number;
    const deliver = () => deps.dispatcher.deliver(endpoint, message, { requestId: String(req.id), logger: req.log, receivedAt });
    const { outcome, duplicate } = deps.guard
      ? await deps.guard.admit(endpoint, message, req.log, deliver, receivedAt)
      : { outcome: await deliver(), duplicate: false };
    if (duplicate) res.setHeader('X-Relay-Duplicate', 'true');
    // 202: an async route has it durably queued, not yet delivered.
    res.status(outcome.status === 'queued' ? 202 : 200).json({ id: outcome.id, status: outcome.status });
  };

  const { metrics } = deps;
  const observe: RequestHandler = (_req, res, next) => {
    const done = metrics!.requestSeconds.startTimer({ endpoint: endpoint.path });
    res.once('finish', () => {
      done();
      metrics!.requests.inc({ endpoint: endpoint.path, status: String(res.statusCode) });
    });
    next();
  };

  router.all(endpoint.path, ...(metrics ? [observe] : []), methodGuard, ...buildAuthGuards(endpoint.auth, log, deps.authBudget),
    express.raw({ type: () => true, limit: deps.bodyLimitBytes, inflate: false }), handle);
  return router;
}
