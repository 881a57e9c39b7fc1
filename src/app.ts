import express, { type Express } from 'express';
import helmet from 'helmet';
import pinoHttp from 'pino-http';
import type { Logger } from 'pino';
import type { Config } from './config/schema';
import { AppError } from './errors';
import { adminDeliveryRoutes } from './http/admin-delivery-routes';
import { adminOutboxRouter } from './http/admin-outbox-routes';
import type { AuthFailureBudget } from './http/auth-guards';
import { endpointRouter } from './http/endpoint-router';
import { errorMiddleware, notFound } from './http/error-middleware';
import { metricsRoute, type RelayMetrics } from './http/metrics';
import { dispatchTargetRouter } from './http/dispatch-target-routes';
import { redeemRouter } from './http/redeem-route';
import { requestId } from './http/request-id';
import { pickHeaders } from './logger';
import type { FailureBudget } from './push/failure-limiter';
import type { Dispatcher } from './relay/dispatcher';
import type { RequestGuard } from './relay/request-guard';
import type { Store } from './store/store';

export interface AppState {
  /** Set on SIGTERM: readiness fails so the load balancer drains us, and connections are not kept alive. */
  shuttingDown: boolean;
}

export interface AppDeps {
  store: Store;
  dispatcher: Dispatcher;
  logger: Logger;
  state?: AppState;
  /** Key of the stored phone digests (see `store.secret('phone-digest')`). */
  phoneKey: Buffer;
  guard?: RequestGuard;
  authBudget?: AuthFailureBudget;
  metrics?: RelayMetrics;
  /** Failed redeems shared by the replicas (`redis.url`); per process without it. */
  redeemFailures: FailureBudget;
  /** `redis.url`'s connection, reported by /readyz. */
  redis?: { ping(): Promise<boolean> };
}

/** The whole HTTP surface, without listening: tests drive it with supertest, main.ts serves it. */
export function createApp(config: Config, deps: AppDeps): Express {
  const { logger, store } = deps;
  const state = deps.state ?? { shuttingDown: false };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.server.trustProxy);
  app.set('etag', false);

  app.use(helmet());
  app.use(
    pinoHttp({
      logger,
      quietReqLogger: true,
      genReqId: (req, res) => {
        const id = requestId(req);
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      serializers: {
        req: (req: { id: unknown; method: string; url: string; headers: Record<string, unknown>; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
          headers: pickHeaders(req.headers),
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customProps: (req) => ({ source: (req as express.Request).ip }),
    }),
  );
  app.use((_req, res, next) => {
    if (state.shuttingDown) res.setHeader('Connection', 'close');
    next();
  });

  // The identity providers' endpoints first: they are the hot path, and their paths never overlap the relay's own
  // (the configuration refuses reserved paths), so their requests need not walk the admin and push routers.
  for (const endpoint of config.endpoints) {
    app.use(endpointRouter(endpoint, { dispatcher: deps.dispatcher, logger, bodyLimitBytes: config.server.bodyLimitBytes, guard: deps.guard, authBudget: deps.authBudget, metrics: deps.metrics }));
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (state.shuttingDown) throw new AppError('unavailable', 'shutting down');
    try {
      await store.ping();
    } catch {
      throw new AppError('unavailable', 'store unreachable');
    }
    // Redis down leaves the relay ready: what lives there fails open (limits count per process, dedupe lets
    // messages through), and every replica shares one Redis, so failing here would take all of them out at once.
    if (deps.redis) return res.json({ status: 'ready', redis: (await deps.redis.ping()) ? 'ok' : 'unavailable' });
    res.json({ status: 'ready' });
  });

  app.use(adminDeliveryRoutes({ store, logger, adminToken: config.admin.token, phoneKey: deps.phoneKey }));
  app.use(dispatchTargetRouter(config, { store, logger }));
  app.use(redeemRouter({ store, logger, failures: deps.redeemFailures }));

  if (deps.metrics && config.metrics.port === undefined) app.get('/metrics', metricsRoute(deps.metrics, config.metrics.token ?? config.admin.token, logger));
  app.use(adminOutboxRouter(store, config.admin.token, logger));

  app.use(notFound());
  app.use(errorMiddleware(logger));
  return app;
}
