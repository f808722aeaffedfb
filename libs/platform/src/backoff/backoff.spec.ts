import { backoffDelay } from './backoff.js';

const delays = (n: number, options: Parameters<typeof backoffDelay>[1]): number[] =>
  Array.from({ length: n }, (_, i) => backoffDelay(i + 1, options));

describe('backoffDelay', () => {
  it('doubles from the initial delay up to the cap, without jitter by default', () => {
    expect(delays(7, { initial: 100, max: 2000 })).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it('with equal jitter waits between half and all of each delay', () => {
    expect(delays(3, { initial: 200, max: 5000, jitter: 'equal', random: () => 0 })).toEqual([100, 200, 400]);
    expect(delays(3, { initial: 200, max: 5000, jitter: 'equal', random: () => 0.5 })).toEqual([150, 300, 600]);
    expect(delays(3, { initial: 200, max: 5000, jitter: 'equal', random: () => 0.999999 })).toEqual([200, 400, 800]);
  });

  it('with full jitter waits anywhere between zero and each delay', () => {
    expect(delays(3, { initial: 200, max: 5000, jitter: 'full', random: () => 0 })).toEqual([0, 0, 0]);
    expect(delays(3, { initial: 200, max: 5000, jitter: 'full', random: () => 0.5 })).toEqual([100, 200, 400]);
  });

  it('caps the delay before jitter, so a jittered delay never exceeds max', () => {
    expect(backoffDelay(10, { initial: 1000, max: 3000, jitter: 'equal', random: () => 0.999999 })).toBe(3000);
  });

  it('never waits less than min', () => {
    expect(backoffDelay(1, { initial: 1000, max: 30_000, jitter: 'equal', min: 1000, random: () => 0 })).toBe(1000);
  });

  it('stays at the cap after very many failures (no Infinity, no NaN)', () => {
    expect(backoffDelay(1e9, { initial: 1000, max: 30_000 })).toBe(30_000);
    expect(backoffDelay(1e9, { initial: 0, max: 30_000 })).toBe(0);
  });

  it('treats attempt 0 or less as the first retry', () => {
    expect(backoffDelay(0, { initial: 100, max: 2000 })).toBe(100);
  });
});
