import { CircuitBreaker, createBreakers, type BreakerState } from '../../src/relay/circuit-breaker';

function breaker(failures = 3, cooldownMs = 1000) {
  let now = 0;
  const moves: string[] = [];
  const b = new CircuitBreaker('vendor', { failures, cooldownMs }, (_p, from: BreakerState, to: BreakerState) => moves.push(`${from}→${to}`), () => now);
  return { b, moves, advance: (ms: number) => (now += ms) };
}

describe('circuit breaker', () => {
  it('opens after N consecutive failures and skips until the cool-down ends', () => {
    const { b, moves, advance } = breaker(3, 1000);
    for (let i = 0; i < 2; i++) {
      expect(b.tryPass()).toBe(true);
      b.failure();
    }
    expect(b.state).toBe('closed');
    expect(b.tryPass()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.tryPass()).toBe(false);
    advance(600);
    expect(b.retryInMs()).toBe(400);
    expect(b.tryPass()).toBe(false);
    expect(moves).toEqual(['closed→open']);
  });

  it('a success in between resets the count: only consecutive failures open it', () => {
    const { b } = breaker(2);
    b.failure();
    b.success();
    b.failure();
    expect(b.state).toBe('closed');
  });

  it('lets exactly one probe through when half-open; its success closes, its failure re-opens', () => {
    const { b, moves, advance } = breaker(1, 1000);
    b.failure();
    advance(1000);
    expect(b.tryPass()).toBe(true);
    expect(b.state).toBe('half-open');
    expect(b.tryPass()).toBe(false);
    b.failure();
    expect(b.state).toBe('open');
    advance(1000);
    expect(b.tryPass()).toBe(true);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.tryPass()).toBe(true);
    expect(moves).toEqual(['closed→open', 'open→half-open', 'half-open→open', 'open→half-open', 'half-open→closed']);
  });

  it('frees the probe slot when the probe is abandoned, and when a probe never reports back', () => {
    const { b, advance } = breaker(1, 1000);
    b.failure();
    advance(1000);
    expect(b.tryPass()).toBe(true);
    b.abandon();
    expect(b.tryPass()).toBe(true);
    advance(1000);
    expect(b.tryPass()).toBe(true);
  });

  it('is built per provider, with per-provider overrides and `false` for none', () => {
    const set = createBreakers({ failures: 5, cooldownSeconds: 30 }, { a: {}, b: { breaker: { failures: 2 } }, c: { breaker: false } });
    expect([...set.keys()]).toEqual(['a', 'b']);
    const b = set.get('b')!;
    b.failure();
    b.failure();
    expect(b.state).toBe('open');
    expect(b.retryInMs()).toBeGreaterThan(29_000);
  });
});
