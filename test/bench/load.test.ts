import { describe, expect, it } from 'vitest';
import { parseWrkOutput } from '../../bench/lib/load.ts';
import { paired, median, spread } from '../../bench/lib/stats.ts';
import { addedP50, atLeast, atMost, noneSeen, p99Ratio, throughputRatio } from '../../bench/lib/checks.ts';
import type { ConfigurationResult, LoadResult } from '../../bench/lib/types.ts';

const WRK_OUTPUT = `Running 5s test @ http://127.0.0.1:8080/api/v1/threads/1000
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.91ms    1.02ms  21.30ms   79.12%
    Req/Sec     3.92k   201.35     4.10k    70.00%
  Latency Distribution
     50%    3.74ms
     75%    4.21ms
     90%    5.02ms
     99%    8.27ms
  19485 requests in 5.00s, 355.01MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   3896.98
Transfer/sec:     71.00MB
`;

describe('parseWrkOutput', () => {
  it('reads the rate, the count, p50 and p99 in milliseconds, and the errors of a --latency report', () => {
    expect(parseWrkOutput(WRK_OUTPUT)).toEqual({ driver: 'wrk', requests: 19485, rps: 3896.98, p50Ms: 3.74, p99Ms: 8.27, non2xx: 4, socketErrors: 3 });
  });

  it('converts microseconds and seconds, and reads a report without error lines as zero errors', () => {
    const out = WRK_OUTPUT.replace('3.74ms', '212.00us')
      .replace('8.27ms', '1.20s')
      .replace(/^\s*(Socket errors|Non-2xx).*\n/gm, '');
    expect(parseWrkOutput(out)).toMatchObject({ p50Ms: 0.212, p99Ms: 1200, non2xx: 0, socketErrors: 0 });
  });

  it('throws with the output when the latency distribution is missing', () => {
    expect(() => parseWrkOutput(WRK_OUTPUT.replace(/^\s*99%.*\n/m, ''))).toThrow(/no 99% latency/);
  });
});

describe('stats', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(spread([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5 });
  });

  it('refuses series of different lengths when pairing rounds', () => {
    expect(() => paired([1, 2], [1], (a, b) => a / b)).toThrow(/differ in length/);
  });
});

const run = (rps: number, p50Ms: number, p99Ms: number): LoadResult => ({
  driver: 'wrk',
  seconds: 5,
  connections: 16,
  requests: rps * 5,
  rps,
  p50Ms,
  p99Ms,
  non2xx: 0,
  socketErrors: 0,
});
const configuration = (runs: LoadResult[]): ConfigurationResult => ({
  name: 'x',
  label: 'x',
  role: 'measured',
  url: 'http://127.0.0.1/',
  connections: 16,
  runs,
  rps: spread(runs.map((r) => r.rps)),
  p50Ms: 0,
  p99Ms: 0,
  errors: 0,
});

describe('checks', () => {
  const fast = configuration([run(4000, 1, 8), run(3000, 1.2, 10), run(4200, 1.1, 9)]);
  const slow = configuration([run(400, 40, 48), run(500, 41, 60), run(410, 42, 50)]);

  it('takes a ratio round by round (the rounds were interleaved) and reports the median with its spread', () => {
    // Rounds: 10×, 6×, 10.24×.
    expect(throughputRatio('ratio', fast, slow, atLeast(5))).toEqual({
      label: 'ratio',
      value: 10,
      unit: '×',
      spread: { min: 6, max: 4200 / 410 },
      goal: { op: '>=', target: 5, unit: '×' },
      met: true,
    });
  });

  it('marks a missed goal, a p99 ratio the other way round, an added latency, and a count that must be zero', () => {
    expect(throughputRatio('ratio', slow, fast, atLeast(0.9)).met).toBe(false);
    // Rounds: 48/8, 60/10, 50/9.
    expect(p99Ratio('p99', fast, slow, atLeast(5)).value).toBe(6);
    // Rounds: 40 - 1, 41 - 1.2, 42 - 1.1.
    expect(addedP50('added', slow, fast, atMost(1, 'ms'))).toMatchObject({ value: 41 - 1.2, unit: 'ms', met: false });
    expect(noneSeen('errors', 0).met).toBe(true);
    expect(noneSeen('errors', 2).met).toBe(false);
  });
});
