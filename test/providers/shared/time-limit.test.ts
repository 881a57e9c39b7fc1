import { timeLimit } from '../../../src/providers/shared/time-limit';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('timeLimit', () => {
  it('aborts when the time is up, and says it was the time', async () => {
    const limit = timeLimit(30);
    await sleep(80);
    expect(limit.signal.aborted).toBe(true);
    expect(limit.timedOut.aborted).toBe(true);
    expect((limit.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('aborts at once with a caller that gives up, without calling it a timeout', () => {
    const caller = new AbortController();
    const limit = timeLimit(10_000, caller.signal);
    caller.abort();
    expect(limit.signal.aborted).toBe(true);
    expect(limit.timedOut.aborted).toBe(false);
    limit.done();
  });

  it('leaves nothing armed once done: no timer, and no late abort', async () => {
    const before = timers();
    const limits = Array.from({ length: 50 }, () => timeLimit(40));
    expect(timers()).toBe(before + 50);
    for (const l of limits) l.done();
    expect(timers()).toBe(before);
    await sleep(80);
    expect(limits.some((l) => l.signal.aborted)).toBe(false);
  });
});
