import { Agent, request } from 'undici';

export interface LatencyResult {
  p50: number;
  p99: number;
  mean: number;
  failures: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/**
 * One request at a time over one kept-alive connection, timed with performance.now(): the per-request cost with no
 * queueing, to sub-millisecond precision (autocannon reports whole milliseconds).
 */
export async function sequentialLatency(
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
  count: number,
  warmup = Math.min(200, count),
): Promise<LatencyResult> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const times: number[] = [];
  let failures = 0;
  try {
    for (let i = 0; i < warmup + count; i++) {
      const start = performance.now();
      const res = await request(url, { ...init, dispatcher: agent });
      await res.body.arrayBuffer();
      const ms = performance.now() - start;
      if (res.statusCode >= 300) failures++;
      if (i >= warmup) times.push(ms);
    }
  } finally {
    await agent.close();
  }
  times.sort((a, b) => a - b);
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), mean: times.reduce((a, b) => a + b, 0) / times.length, failures };
}
