/**
 * How long one comparison of two 256 KiB bodies takes (JSON and HTML), for the figures in
 * docs/comparison.md. Not a test: a figure on a shared machine is read, not asserted.
 *
 * @example
 * node --import tsx gateway/compare/measure.ts   # prints ms per comparison, median of 20 runs
 */
import { compareAnswers } from './compare.ts';
import type { Captured } from './types.ts';

const TARGET_BYTES = 256 * 1024;
const RUNS = 20;

function captured(type: string, body: string): Captured {
  return { status: 200, headers: { 'content-type': type }, contentType: type, body: Buffer.from(body), truncated: false };
}

function jsonDoc(variant: 'legacy' | 'ts'): string {
  const posts: object[] = [];
  for (let i = 0; JSON.stringify(posts).length < TARGET_BYTES; i++) {
    const post = { id: i, author: { id: i % 50, name: `user${i % 50}` }, title: `Thread ${i}`, body: `Post body ${i} `.repeat(8), views: i, tags: ['a', 'b'] };
    // TS: keys in another order, and every post's view count differs (a worst case: 1000s of differences).
    posts.push(variant === 'legacy' ? post : { tags: post.tags, views: post.views + 1, body: post.body, title: post.title, author: post.author, id: post.id });
  }
  return JSON.stringify({ generated_at: variant, posts });
}

function htmlDoc(variant: 'legacy' | 'ts'): string {
  const rows: string[] = [];
  for (let i = 0; rows.join('').length < TARGET_BYTES; i++) {
    rows.push(
      variant === 'legacy'
        ? `\n  <div class="post" id="p${i}">\n    <h2><a href="/t/${i}" title="Thread &amp; ${i}">Thread ${i}</a></h2>\n    <p>Post body ${i} with   some text</p>\n  </div>`
        : `<div id='p${i}' class=post><h2><a title="Thread &#38; ${i}" href="/t/${i}">Thread ${i}</a></h2><p>Post body ${i} with some ${i % 10 === 0 ? 'TEXT' : 'text'}</p></div>`,
    );
  }
  return `<!doctype html><html><head><title>t</title></head><body>${rows.join('')}</body></html>`;
}

function median(type: string, legacy: string, ts: string): { ms: number; differences: number; omitted: number } {
  const [a, b] = [captured(type, legacy), captured(type, ts)];
  const times: number[] = [];
  let last = compareAnswers(a, b, { headers: ['content-type'], ignore: [] });
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    last = compareAnswers(a, b, { headers: ['content-type'], ignore: [] });
    times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  return { ms: Math.round(times[RUNS >> 1]! * 10) / 10, differences: last.differences.length, omitted: last.omitted };
}

for (const [name, type, legacy, ts] of [
  ['JSON', 'application/json', jsonDoc('legacy'), jsonDoc('ts')],
  ['HTML', 'text/html', htmlDoc('legacy'), htmlDoc('ts')],
] as const) {
  const figure = median(type, legacy, ts);
  console.log(`${name}: ${legacy.length} vs ${ts.length} bytes: ${figure.ms} ms per comparison (median of ${RUNS}); ${figure.differences} listed, ${figure.omitted} more counted`);
}
