/**
 * The route table: `routes.yaml` loaded, validated and compiled into a frozen {@link RouteTable}. Every
 * problem is reported at once with its line, column and fix; a table with any problem is refused.
 *
 * @example
 * const table = loadRouteTable('routes.yaml', process.env);
 * const target = normalizeTarget(req.url ?? '/');
 * if (target.ok && !isInternalPath(target.path)) table.match(target.path).backend; // 'legacy' | 'ts'
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { buildMatcher } from './match.ts';
import { RouteTableError } from './problems.ts';
import { readTable } from './schema.ts';
import type { RouteTable, RouteTableProblem } from './types.ts';

export { RouteTableError, formatProblem } from './problems.ts';
export { normalizeTarget, isInternalPath, escapeUri, type NormalizedTarget } from './normalize.ts';
export { isPattern, forwardTargetFor } from './patterns.ts';
export { doorRouteHeaders, withRouteHeaders } from './lifecycle.ts';
export type * from './types.ts';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Read and compile a route table file. Throws {@link RouteTableError} listing every problem.
 *
 * @example
 * const table = loadRouteTable('routes.yaml', process.env); // ${LEGACY_PORT:-8090} etc. resolved from the environment given
 */
export function loadRouteTable(file: string, env: Env): RouteTable {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (err as Error).message;
    throw new RouteTableError(file, [
      { line: null, column: null, message: `cannot read the route table: ${reason}`, fix: 'point ROUTES at an existing routes.yaml (the repository root has one to start from)' },
    ]);
  }
  return parseRouteTable(text, file, env);
}

/**
 * Compile route-table text; `source` names it in messages.
 *
 * @example
 * const table = parseRouteTable(yamlText, 'routes.yaml', { LEGACY_PORT: '9000' });
 * table.match('/api/v1/threads/7').handler; // 'threads'
 */
export function parseRouteTable(text: string, source: string, env: Env): RouteTable {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: RouteTableProblem[] = doc.errors.map((err) => {
      const pos = lineCounter.linePos(err.pos[0]);
      return {
        line: pos.line,
        column: pos.col,
        message: `YAML syntax error: ${err.message.split('\n')[0]}`,
        fix: 'check the indentation and quoting on this line: mappings are `key: value`, list items start with `- `',
      };
    });
    throw new RouteTableError(source, problems);
  }
  const { data, problems } = readTable(doc, lineCounter, env);
  if (data === null || problems.length > 0) throw new RouteTableError(source, problems);

  const routes = Object.freeze(data.routes.map((route) => Object.freeze({ ...route, methods: route.methods && Object.freeze([...route.methods]) })));
  const backends = Object.freeze({ legacy: Object.freeze(data.backends.legacy), ts: Object.freeze(data.backends.ts) });
  const revision = revisionOf(data.counter, text);
  return Object.freeze({ source, revision, backends, routes, settings: Object.freeze({ ...data.settings }), match: buildMatcher(routes) });
}

/**
 * A table's revision id: its change counter, then the first 8 hex digits of the SHA-256 of the file's
 * text, so two processes serve the same table exactly when their ids are equal, and an edit made by hand
 * (counter unchanged) still shows.
 *
 * @example
 * revisionOf(7, 'version: 1\nrevision: 7\n...'); // '7-1f3a9c0b'
 */
export function revisionOf(counter: number, text: string): string {
  return `${counter}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}
