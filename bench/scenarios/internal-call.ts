/**
 * An internal call from Python (legacy-python/bench_internal_call.py, the forum's own stdlib client):
 * the round trip of `GET /_internal/v1/users/1` on a kept-alive connection, against a new connection per
 * call, interleaved in blocks inside each round. The round trip's floor is loopback TCP plus the TS
 * server's own handling, both in every figure.
 */
import { execFileSync } from 'node:child_process';
import { PYTHON, ROOT, TEST_INTERNAL_TOKEN } from '../../test/helpers/processes.ts';
import { atMost, check } from '../lib/checks.ts';
import { sharedTs } from '../lib/stack.ts';
import { spread } from '../lib/stats.ts';
import type { Scenario } from '../lib/types.ts';

const CALLS = { quick: 200, full: 2_000 } as const;
const BLOCK = 50;

interface CallFigures {
  readonly p50_ms: number;
  readonly p90_ms: number;
  readonly connections_opened: number;
}
interface RoundResult {
  readonly reused: CallFigures;
  readonly new_connection: CallFigures;
}

export const internalCall: Scenario = {
  name: 'internal-call',
  title: 'Internal call from Python',
  measuredAs: 'round trip of GET /_internal/v1/users/1 with the stdlib client: reused connection; new connection per call',
  goal: 'p50 ≤ 1 ms (reused); report the ratio',
  async run(ctx) {
    const ts = await sharedTs(ctx);
    if (!ts.internalUrl) throw new Error('the TS server did not name its internal listener in its listening line');
    const calls = CALLS[ctx.options.mode];
    const rounds: RoundResult[] = [];
    for (let round = 1; round <= ctx.options.rounds; round++) {
      const out = execFileSync(
        PYTHON,
        ['legacy-python/bench_internal_call.py', '--url', ts.internalUrl, '--token', TEST_INTERNAL_TOKEN, '--calls', String(calls), '--block', String(BLOCK)],
        { cwd: ROOT, encoding: 'utf8' },
      );
      const result = JSON.parse(out) as RoundResult;
      rounds.push(result);
      ctx.log(`  round ${round}/${ctx.options.rounds}: reused p50 ${result.reused.p50_ms} ms, new connection p50 ${result.new_connection.p50_ms} ms`);
    }
    const of = (pick: (r: RoundResult) => number) => spread(rounds.map(pick));
    const last = rounds.at(-1)!;
    return {
      configurations: [],
      checks: [
        check(
          'p50 round trip, reused connection',
          of((r) => r.reused.p50_ms),
          'ms',
          atMost(1, 'ms'),
        ),
        check(
          'p90 round trip, reused connection',
          of((r) => r.reused.p90_ms),
          'ms',
          null,
        ),
        check(
          'p50 round trip, new connection per call',
          of((r) => r.new_connection.p50_ms),
          'ms',
          null,
        ),
        check(
          'new connection / reused, p50',
          of((r) => r.new_connection.p50_ms / r.reused.p50_ms),
          '×',
          null,
        ),
      ],
      facts: {
        callsPerRound: calls,
        block: BLOCK,
        connectionsOpenedReused: last.reused.connections_opened,
        connectionsOpenedNew: last.new_connection.connections_opened,
      },
    };
  },
};
