import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createSecureContext as tlsContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { createApp, type AppState } from './app';
import type { LoadedConfig } from './config/load-config';
import { configAdvice } from './config/config-advice';
import { ConfigError } from './errors';
import { RelayMetrics, startMetricsServer } from './http/metrics';
import type { Provider } from './providers/provider';
import { providerDefinitions } from './providers/registry';
import { Dispatcher } from './relay/dispatcher';
import { OutboxWorker } from './relay/outbox-worker';
import { buildProtection } from './relay/protection';
import { SharedRedis } from './redis/shared-redis';
import { createStore } from './store/create-store';
import type { Store } from './store/store';

export interface RunningRelay {
  url: string;
  port: number;
  app: Express;
  server: http.Server;
  store: Store;
  providers: ReadonlyMap<string, Provider>;
  state: AppState;
  metrics: RelayMetrics;
  /** Async routes' worker, when some route is async. */
  worker?: OutboxWorker;
  /** Where /metrics is served when `metrics.port` is set. */
  metricsServer?: http.Server;
  /** The connection behind `redis.url`, when configured. */
  redis?: SharedRedis;
  /** Stop accepting, let in-flight requests finish (bounded), then close providers and the store. */
  close(): Promise<void>;
}

/** Every provider, or every problem found while creating them (a missing script, an unreadable CA file, …). */
export function createEachProvider(loaded: LoadedConfig, logger: Logger, store: Store): { providers: Map<string, Provider>; problems: string[] } {
  const providers = new Map<string, Provider>();
  const problems: string[] = [];
  for (const [name, cfg] of Object.entries(loaded.config.providers)) {
    const def = providerDefinitions.find((d) => d.type === cfg.type)!;
    try {
      providers.set(name, def.create({ ...cfg, name } as never, { logger: logger.child({ provider: name }), store, baseDir: loaded.baseDir }));
    } catch (e) {
      if (e instanceof ConfigError) problems.push(...e.problems);
      else problems.push(`providers.${name}: ${(e as Error)?.message ?? String(e)}`);
    }
  }
  return { providers, problems };
}

export function createProviders(loaded: LoadedConfig, logger: Logger, store: Store): Map<string, Provider> {
  const { providers, problems } = createEachProvider(loaded, logger, store);
  if (problems.length) {
    for (const p of providers.values()) void p.close?.();
    throw new ConfigError(problems);
  }
  return providers;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

/**
 * Reads server.tls's files, or lists what is wrong with each by its key (unreadable, not PEM, a key that does not
 * match the certificate), so check-config and start report them like every other configuration problem.
 */
export function readTlsMaterial(loaded: LoadedConfig): TlsMaterial | undefined {
  const { tls } = loaded.config.server;
  if (tls === false) return undefined;
  const problems: string[] = [];
  const read = (key: string, file: string, what: string, pem: RegExp): Buffer | undefined => {
    let data: Buffer;
    try {
      data = readFileSync(resolve(loaded.baseDir, file));
    } catch (e) {
      problems.push(`server.tls.${key}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
    if (!pem.test(data.toString('latin1'))) problems.push(`server.tls.${key}: ${file} is not a PEM ${what}`);
    return data;
  };
  const cert = read('cert', tls.cert, 'certificate', /-----BEGIN CERTIFICATE-----/);
  const key = read('key', tls.key, 'private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  const clientCa = tls.clientCa === undefined ? undefined : read('clientCa', tls.clientCa, 'CA certificate', /-----BEGIN CERTIFICATE-----/);
  if (problems.length === 0 && cert && key) {
    try {
      tlsContext({ cert, key });
    } catch (e) {
      problems.push(`server.tls: ${tls.cert} and ${tls.key} do not make a usable pair (${(e as Error).message})`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return { cert: cert!, key: key!, clientCa };
}

function createHttpServer(loaded: LoadedConfig, material: TlsMaterial | undefined, app: Express): http.Server {
  const { tls } = loaded.config.server;
  if (tls === false || !material) return http.createServer(app);
  return https.createServer(
    {
      cert: material.cert,
      key: material.key,
      minVersion: tls.minVersion,
      // Client certificates are checked per endpoint (auth.clientCert), so the handshake asks but does not insist.
      ...(material.clientCa ? { ca: material.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
    },
    app,
  );
}

export async function startRelay(loaded: LoadedConfig, logger: Logger, listen?: { host?: string; port?: number }): Promise<RunningRelay> {
  // Before the store and the providers open: a missing certificate is a configuration problem, said as one.
  const tlsMaterial = readTlsMaterial(loaded);
  const { config } = loaded;
  const store = await createStore(config.storage.url, loaded.baseDir, { poolSize: config.storage.poolSize, logger });
  const providers = createProviders(loaded, logger, store);
  const phoneKey = await store.secret('phone-digest');
  const metrics = new RelayMetrics();
  const redis = config.redis ? new SharedRedis(config.redis, logger, (use) => metrics.redisErrors.inc({ use })) : undefined;
  if (redis) {
    metrics.watchRedis(() => redis.up);
    await redis.ready();
  }
  const protection = await buildProtection(loaded, store, logger, metrics, redis).catch(async (e: unknown) => {
    // A refused start (no outbox key for a shared store) must not leave the pool and provider sessions open.
    await Promise.allSettled([...providers.values()].map((p) => p.close?.()));
    await store.close();
    await redis?.close();
    throw e;
  });
  let worker: OutboxWorker | undefined;
  const dispatcher = new Dispatcher({
    store,
    providers,
    timeouts: new Map(Object.entries(config.providers).map(([name, p]) => [name, (p as { timeoutMs?: number }).timeoutMs])),
    routes: config.routes,
    logger,
    secrets: loaded.secrets,
    phoneKey,
    breakers: protection.breakers,
    metrics,
    cipher: protection.cipher,
    onQueued: () => worker?.wake(),
  });
  if (protection.cipher) worker = new OutboxWorker({ store, dispatcher, cipher: protection.cipher, routes: config.routes, logger });
  const state: AppState = { shuttingDown: false };
  const app = createApp(config, {
    store,
    dispatcher,
    logger,
    state,
    phoneKey,
    guard: protection.guard,
    authBudget: protection.limits.failedAuth,
    metrics,
    redeemFailures: protection.redeemFailures,
    redis,
  });
  const server = createHttpServer(loaded, tlsMaterial, app);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  if (config.server.tls === false) logger.warn('TLS is off: only run this behind a load balancer that terminates TLS');
  for (const advice of configAdvice(config)) logger.warn(advice);
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket) => {
    logger.warn({ source: socket.remoteAddress, reason: err.code ?? err.message }, 'TLS handshake refused');
  });

  const host = listen?.host ?? config.server.host;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(listen?.port ?? config.server.port, host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  worker?.start();
  const metricsServer = config.metrics.port === undefined ? undefined : await startMetricsServer(metrics, config.metrics.host, config.metrics.port);
  const scheme = config.server.tls === false ? 'http' : 'https';
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      state.shuttingDown = true;
      // The worker stops claiming now and finishes (or hands back) what it holds while HTTP drains.
      const workerStopped = worker?.stop(config.server.shutdownTimeoutMs);
      const drained = new Promise<void>((ok) => server.close(() => ok()));
      // A keep-alive connection whose request was in flight turns idle only after close(); sweep until drained so
      // it is not left waiting for the keep-alive timeout.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const timer = setTimeout(() => server.closeAllConnections(), config.server.shutdownTimeoutMs);
      await drained;
      clearInterval(sweep);
      clearTimeout(timer);
      await workerStopped;
      await new Promise<void>((ok) => (metricsServer ? metricsServer.close(() => ok()) : ok()));
      await Promise.allSettled([...providers.values()].map((p) => p.close?.()));
      await store.close();
      await redis?.close();
    })());

  return { url: `${scheme}://${shownHost}:${port}`, port, app, server, store, providers, state, metrics, worker, metricsServer, redis, close };
}
