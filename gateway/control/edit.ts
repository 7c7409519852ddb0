/**
 * Edits of routes.yaml that keep its comments and layout (the `yaml` package's Document API): one route's
 * mode, handler, methods and canary percent, a new route when none has the path, and the `revision:`
 * counter raised by one. The result is text; whether it is a valid table is checked by whoever writes it.
 *
 * @example
 * const edit = editRoute(readFileSync('routes.yaml', 'utf8'), { route: '/api/v1/threads', mode: 'legacy' });
 * edit.text; // the same file, the route in mode legacy without handler and methods, revision + 1
 */
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { ROUTE_MODES, type RouteMode } from '../routes/types.ts';

export type EditMode = RouteMode;

export interface RouteEdit {
  /** The route's path; `=/p` names the exact route on `/p` when a prefix route has the same path. */
  readonly route: string;
  readonly mode: EditMode;
  /** The handler for mode next; default: the route's own. */
  readonly handler?: string;
  /** The methods that move (mode next); default: the route's own (none: every method). */
  readonly methods?: readonly string[];
  /** Mode canary: the share of users TS answers; default: the route's own when it is in canary already. */
  readonly percent?: number;
}

export interface EditResult {
  readonly text: string;
  /** The route as it was (null: added by this edit) and as it is now. */
  readonly before: RouteState | null;
  readonly after: RouteState;
  /** `ts` when the route moves toward the TS server, `legacy` when it moves back: which side switches first. */
  readonly toward: 'ts' | 'legacy';
}

export interface RouteState {
  readonly path: string;
  readonly exact: boolean;
  readonly mode: string;
  readonly handler: string | null;
  readonly methods: readonly string[] | null;
  /** The canary share (percent), null in other modes. */
  readonly percent: number | null;
}

/** An edit that cannot be made as asked; the message says what to write instead. */
export class RouteEditError extends Error {
  override readonly name = 'RouteEditError';
}

/** Apply `edit` to the text of a route table; throws {@link RouteEditError}. */
export function editRoute(text: string, edit: RouteEdit): EditResult {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new RouteEditError(`the route table is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}); fix it first: npx strangler validate`);
  const routes = doc.get('routes', true);
  if (!isSeq(routes) || routes.flow) throw new RouteEditError('the route table has no block list of routes; fix it first: npx strangler validate');
  const wantExact = edit.route.startsWith('=') ? true : undefined;
  const path = edit.route.replace(/^=\s*/, '');
  if (!path.startsWith('/'))
    throw new RouteEditError(`'${edit.route}' is not a route path; write it as it is in routes.yaml, e.g. /api/v1/threads (=/api/v1/threads for an exact route)`);
  const found = findRoute(routes, path, wantExact);
  const before = found ? stateOf(found) : null;
  const handler = edit.handler ?? before?.handler ?? null;
  const wanted: Record<string, string | null> = { mode: edit.mode };
  if (edit.percent !== undefined && edit.mode !== 'canary') throw new RouteEditError(`a percent applies to mode canary only, not ${edit.mode}; leave out --percent`);
  if (edit.mode === 'legacy') {
    if (edit.handler !== undefined || edit.methods !== undefined) throw new RouteEditError('a route in mode legacy has no handler or methods; leave out --handler and --methods');
    Object.assign(wanted, { handler: null, methods: null, percent: null });
  } else {
    if (handler === null)
      throw new RouteEditError(
        `route '${edit.route}' names no handler; give the TS service that answers it: --handler <name> (the names the TS server mounts: npx strangler status)`,
      );
    wanted.handler = handler;
    if (edit.methods !== undefined) wanted.methods = `[${edit.methods.join(', ')}]`;
    const percent = edit.percent ?? (before?.mode === 'canary' ? before.percent : null);
    if (edit.mode === 'canary' && percent === null) throw new RouteEditError('a route in mode canary needs the share of users TS answers: --percent 10');
    if (percent !== null && !(percent > 0 && percent <= 100))
      throw new RouteEditError(`--percent ${percent} is not a share of users; give a number above 0 and at most 100, e.g. --percent 10`);
    wanted.percent = edit.mode === 'canary' ? String(percent) : null;
  }
  const splices = [...revisionSplices(text, doc), ...(found ? routeSplices(text, found, wanted) : [newRoute(text, routes, path, wantExact === true, wanted)])];
  // From the end backwards, so earlier offsets stay right; of two at one offset the later one goes in first, ending up after.
  const ordered = splices.map((splice, i) => ({ ...splice, i })).sort((a, b) => b.start - a.start || b.i - a.i);
  const edited = ordered.reduce((out, { start, end, insert }) => out.slice(0, start) + insert + out.slice(end), text);
  const after = findRoute(parseDocument(edited).get('routes', true) as YAMLSeq, path, wantExact);
  const toward = before !== null && modeRank(edit.mode) < modeRank(before.mode) ? 'legacy' : edit.mode === 'legacy' ? 'legacy' : 'ts';
  return { text: edited, before, after: stateOf(after!), toward };
}

/** legacy 0, shadow 1, canary 2, next 3: a lower rank is a move back toward legacy. */
const modeRank = (mode: string): number => ROUTE_MODES.indexOf(mode as RouteMode);

// Edits are splices of the original text at the ranges the parser reports, so every comment, blank line
// and alignment outside the changed values stays as it was written (re-serializing would reflow them).
interface Splice {
  readonly start: number;
  readonly end: number;
  readonly insert: string;
}

const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;
const lineEnd = (text: string, at: number): number => {
  const newline = text.indexOf('\n', at);
  return newline === -1 ? text.length : newline + 1;
};
const columnOf = (text: string, at: number): number => at - lineStart(text, at);

function findRoute(routes: YAMLSeq, path: string, exact: boolean | undefined): YAMLMap | null {
  const same = routes.items.filter((item): item is YAMLMap => isMap(item) && item.get('path') === path);
  const matching = exact === undefined ? same : same.filter((item) => (item.get('exact') === true) === exact);
  if (matching.length > 1) {
    throw new RouteEditError(
      `two routes have the path ${path}: the prefix route and the exact one; write =${path} for the exact route, or ${path} only when it is the one route on that path`,
    );
  }
  return matching[0] ?? null;
}

/** Set (a string), or remove (null), each key of `wanted` on a route written as a block or a flow mapping. */
function routeSplices(text: string, map: YAMLMap, wanted: Record<string, string | null>): Splice[] {
  const splices: Splice[] = [];
  const pairs = map.items.filter((pair) => isScalar(pair.key) && isNodeWithRange(pair.value));
  const last = pairs.at(-1)!;
  const valueEnd = (pair: Pair): number => (pair.value as Node).range![1];
  for (const [key, value] of Object.entries(wanted)) {
    const at = pairs.findIndex((pair) => (pair.key as Scalar).value === key);
    const pair = pairs[at];
    if (pair && value !== null) splices.push({ start: (pair.value as Node).range![0], end: valueEnd(pair), insert: value });
    else if (pair && map.flow) splices.push({ start: valueEnd(pairs[at - 1] ?? pair), end: valueEnd(pair), insert: '' });
    else if (pair) splices.push({ start: lineStart(text, (pair.key as Node).range![0]), end: lineEnd(text, valueEnd(pair)), insert: '' });
    else if (value !== null && map.flow) splices.push({ start: valueEnd(last), end: valueEnd(last), insert: `, ${key}: ${value}` });
    else if (value !== null) {
      const indent = ' '.repeat(columnOf(text, (pairs[0]!.key as Node).range![0]));
      const end = lineEnd(text, valueEnd(last));
      splices.push({ start: end, end, insert: `${indent}${key}: ${value}\n` });
    }
  }
  return splices;
}

function newRoute(text: string, routes: YAMLSeq, path: string, exact: boolean, wanted: Record<string, string | null>): Splice {
  const first = routes.items.find(isNodeWithRange);
  const dash = first ? ' '.repeat(Math.max(0, columnOf(text, first.range![0]) - 2)) : '  ';
  const lines = [`path: ${path}`, ...(exact ? ['exact: true'] : []), ...Object.entries(wanted).flatMap(([key, value]) => (value === null ? [] : [`${key}: ${value}`]))];
  const body = lines.map((line, i) => `${dash}${i === 0 ? '- ' : '  '}${line}\n`).join('');
  const lastItem = routes.items.filter(isNodeWithRange).at(-1);
  const end = lastItem ? lineEnd(text, lastItem.range![1]) : text.length;
  const gap = text.slice(0, end).endsWith('\n') ? '' : '\n';
  return { start: end, end, insert: `${gap}\n${body}` };
}

/** `revision:` + 1, written right after `version:` when the file has none yet. */
function revisionSplices(text: string, doc: Document): Splice[] {
  const root = doc.contents;
  if (!isMap(root)) return [];
  const node = root.get('revision', true);
  if (isScalar(node) && node.range) {
    const value = Number.isSafeInteger(node.value) ? (node.value as number) : 0;
    return [{ start: node.range[0], end: node.range[1], insert: String(value + 1) }];
  }
  const version = root.get('version', true);
  const at = isScalar(version) && version.range ? lineEnd(text, version.range[1]) : 0;
  return [{ start: at, end: at, insert: 'revision: 1\n' }];
}

const isNodeWithRange = (value: unknown): value is Node => typeof value === 'object' && value !== null && 'range' in value && Array.isArray((value as Node).range);

function stateOf(map: YAMLMap): RouteState {
  const methods = map.get('methods');
  return {
    path: String(map.get('path')),
    exact: map.get('exact') === true,
    mode: String(map.get('mode')),
    handler: typeof map.get('handler') === 'string' ? (map.get('handler') as string) : null,
    methods: isSeq(methods) ? methods.items.map((item) => String(isScalar(item) ? item.value : item)) : null,
    percent: typeof map.get('percent') === 'number' ? (map.get('percent') as number) : null,
  };
}

/** The counter of a table's text (`revision:`, 0 when absent), without validating the rest. */
export function revisionCounterOf(text: string): number {
  const value = parseDocument(text).get('revision');
  return typeof value === 'number' ? value : 0;
}
