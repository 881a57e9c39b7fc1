import express, { type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/schema';
import { AppError } from '../errors';
import { DispatchTargetService, viewTarget } from '../push/dispatch-target-service';
import type { Store } from '../store/store';
import { requireAdminToken } from './admin-auth';

export interface DispatchTargetRouteDeps {
  store: Store;
  logger: Logger;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Content types are checked before parsing, so a wrong one is a 415 and never an empty body that parses. */
function requireType(type: string): RequestHandler {
  return (req, _res, next) => {
    if (req.is(type)) return next();
    next(new AppError('unsupportedMedia', `the body must be ${type}`));
  };
}

const knownId: RequestHandler = (req, _res, next) => {
  if (ID.test(String(req.params.id))) return next();
  next(new AppError('notFound', 'no dispatch target with this id'));
};

/**
 * The Dispatch Target Service (nevisFIDO's, adapted): an admin registers, lists, reads and deletes a user's
 * devices with the admin token; a device updates its own target with a request signed by its registered key.
 */
export function dispatchTargetRouter(config: Config, deps: DispatchTargetRouteDeps): Router {
  const log = deps.logger.child({ api: 'dispatch-targets' });
  const service = new DispatchTargetService({
    store: deps.store,
    logger: log,
    dispatchers: Object.entries(config.providers).filter(([, p]) => p.type === 'fcm').map(([name]) => name),
    patchMaxSkewSeconds: config.push.patchMaxSkewSeconds,
  });
  const admin = requireAdminToken(config.admin.token, log);
  const router = express.Router({ caseSensitive: true, strict: true });
  const json = [requireType('application/json'), express.json({ limit: 65_536, type: () => true })];

  router.post('/dispatch-targets', admin, ...json, async (req, res) => {
    const target = await service.register(req.body);
    log.info({ dispatchTargetId: target.id, name: target.name, dispatcher: target.dispatcher }, 'dispatch target registered');
    res.status(201).location(`/dispatch-targets/${target.id}`).json(viewTarget(target));
  });

  router.get('/dispatch-targets', admin, async (req, res) => {
    const targets = await service.list(req.query as Record<string, unknown>);
    res.json({ dispatchTargets: targets.map(viewTarget) });
  });

  router.get('/dispatch-targets/:id', admin, knownId, async (req, res) => {
    res.json(viewTarget(await service.get(String(req.params.id))));
  });

  router.delete('/dispatch-targets/:id', admin, knownId, async (req, res) => {
    await service.delete(String(req.params.id));
    log.info({ dispatchTargetId: req.params.id }, 'dispatch target deleted');
    res.status(204).end();
  });

  router.patch(
    '/dispatch-targets/:id',
    knownId,
    requireType('application/jose'),
    express.text({ type: () => true, limit: 16_384 }),
    async (req, res) => {
      const jws = typeof req.body === 'string' ? req.body.trim() : '';
      if (!jws) throw new AppError('invalidBody', 'the body must be a compact JWS');
      await service.applySignedUpdate(String(req.params.id), jws, req.log ?? log);
      res.status(204).end();
    },
  );

  for (const path of ['/dispatch-targets', '/dispatch-targets/:id']) {
    router.all(path, (_req, res, next) => {
      res.setHeader('Allow', path.endsWith(':id') ? 'GET, PATCH, DELETE' : 'GET, POST');
      next(new AppError('methodNotAllowed', `${path} does not accept this method`));
    });
  }
  return router;
}
