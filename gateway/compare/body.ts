/**
 * Which comparison a body gets, by content type: JSON structurally, HTML as a normalized tree, anything
 * else byte for byte (the first differing offset).
 */
import { clip, type Collector } from './collect.ts';
import { diffHtml } from './html-diff.ts';
import { parseHtml } from './html-tree.ts';
import { diffJson } from './json.ts';

export type BodyKind = 'json' | 'html' | 'bytes';

/**
 * The comparison a content type calls for.
 *
 * @example
 * bodyKind('application/problem+json; charset=utf-8'); // 'json'
 * bodyKind('text/html'); // 'html'
 * bodyKind('image/png'); // 'bytes'
 */
export function bodyKind(contentType: string | null): BodyKind {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json' || media.endsWith('+json')) return 'json';
  if (media === 'text/html' || media === 'application/xhtml+xml') return 'html';
  return 'bytes';
}

/**
 * Compare two bodies of the given kind into `found`; `patterns` are the ignore pointers (JSON only).
 *
 * @example
 * diffBodies('json', Buffer.from('{"a":1}'), Buffer.from('{"a":2}'), [], found); // body-json /a
 */
export function diffBodies(kind: BodyKind, a: Buffer, b: Buffer, patterns: readonly (readonly string[])[], found: Collector): void {
  if (a.equals(b)) return;
  if (kind === 'json') {
    const [ja, jb] = [parseJson(a), parseJson(b)];
    if (ja.ok && jb.ok) return diffJson(ja.value, jb.value, patterns, found);
    if (ja.ok !== jb.ok) {
      // One side is not JSON at all: that is one difference at the document, unless a rule hides it all.
      if (patterns.some((p) => p.length === 0)) return;
      const say = (r: typeof ja, body: Buffer): string => (r.ok ? 'JSON' : `not JSON (${r.error}): ${JSON.stringify(body.subarray(0, 40).toString('utf8'))}`);
      found.add('body-json', () => ({ path: '', classPath: '', legacy: clip(say(ja, a)), ts: clip(say(jb, b)) }));
      return;
    }
    // Neither side parses (a wrong content type on both): compare what was sent.
  }
  if (kind === 'html') return diffHtml(parseHtml(a.toString('utf8')), parseHtml(b.toString('utf8')), found);
  diffBytes(a, b, found);
}

function diffBytes(a: Buffer, b: Buffer, found: Collector): void {
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at++;
  const around = (body: Buffer): string => `${body.length} bytes, at byte ${at}: ${JSON.stringify(body.subarray(at, at + 32).toString('latin1'))}`;
  found.add('body-bytes', () => ({ path: String(at), classPath: '', legacy: clip(around(a)), ts: clip(around(b)) }));
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

function parseJson(body: Buffer): Parsed {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
