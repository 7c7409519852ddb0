/**
 * One writer process for the concurrency test: opens the evidence store on the file it is given, waits
 * for 'go', then records and flushes `rounds` times as fast as it can, and reports 'done'.
 * Usage: node --import tsx gateway/evidence/concurrent-writer.fixture.ts <state.db> <name> <rounds>
 */
import { openEvidence } from './index.ts';

const [file, name, roundsText] = process.argv.slice(2) as [string, string, string];
const rounds = Number(roundsText);
const store = openEvidence(file);
const recorder = store.recorder();

process.on('message', (message) => {
  if (message !== 'go') return;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < 100; i++) recorder.request('/shared', i % 10 === 0 ? 'ts' : 'legacy', i % 25 === 0 ? 502 : 200, 1 + (i % 50), false);
    recorder.shadow('/shared', 'sent', 5);
    recorder.comparison('/shared', 'r1', round % 5 === 0 ? 'mismatch' : 'match', [{ kind: 'status', path: '', classKey: 'status', legacy: '200', ts: '500' }], {
      request: { method: 'GET', target: `/shared?from=${name}`, headers: {} },
      legacy: { status: 200, headers: {}, body: 'ok' },
      ts: { status: 500, headers: {}, body: 'boom' },
    });
    recorder.fallback('/shared', 'edge', 'connect');
    recorder.flush();
  }
  recorder.close();
  store.close();
  process.send!('done', () => process.exit(0));
});
process.send!('ready');
