import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections?: number;
  durationSeconds?: number;
  /** A short run first, not counted, so JIT and connection set-up do not colour the numbers. */
  warmupSeconds?: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

function once(opts: LoadOptions, seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: opts.url,
        method: opts.method ?? 'POST',
        headers: opts.headers,
        body: opts.body,
        connections: opts.connections ?? 50,
        duration: seconds,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** autocannon with 50 connections by default: the load the latency target is stated for. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const warmup = opts.warmupSeconds ?? 2;
  if (warmup > 0) await once(opts, warmup);
  const r = await once(opts, opts.durationSeconds ?? 10);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}
