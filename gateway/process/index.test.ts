import { afterEach, describe, expect, it } from 'vitest';
import { KEEP_OUTPUT_LINES, spawnServer, type RunningProcess } from './index.ts';

// Logs its listening line, then many more lines, then "done".
const CHATTY = `
const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'listening', url: 'http://127.0.0.1:' + server.address().port }));
  for (let i = 0; i < ${5 * KEEP_OUTPUT_LINES}; i++) console.log(JSON.stringify({ event: 'request', n: i }));
  console.log('done');
});`;

let running: RunningProcess | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('spawnServer', () => {
  it("keeps a bounded tail of a chatty child's output, ending with its latest line", async () => {
    running = await spawnServer({ name: 'chatty', command: process.execPath, args: ['-e', CHATTY] });
    const deadline = Date.now() + 20_000;
    while (running.output.at(-1) !== 'done' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(running.output.at(-1)).toBe('done');
    expect(running.output.length).toBeGreaterThanOrEqual(KEEP_OUTPUT_LINES);
    expect(running.output.length).toBeLessThan(2 * KEEP_OUTPUT_LINES);
    expect(running.output.at(-2)).toBe(JSON.stringify({ event: 'request', n: 5 * KEEP_OUTPUT_LINES - 1 }));
  });
});
