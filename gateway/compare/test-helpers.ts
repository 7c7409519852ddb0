/** Captured answers for the engine's unit tests. */
import type { Captured, CompareSettings, IgnoreRule } from './types.ts';

/** A captured answer: an object becomes a JSON body, a string an HTML one (unless `type` says otherwise). */
export function answer(body: string | object, init: { status?: number; type?: string; headers?: Record<string, string | null>; truncated?: boolean } = {}): Captured {
  const type = init.type ?? (typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json');
  return {
    status: init.status ?? 200,
    headers: { 'content-type': type, ...init.headers },
    contentType: type,
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    truncated: init.truncated ?? false,
  };
}

/** An ignore rule owned by alice. */
export function rule(kind: IgnoreRule['kind'], target: string, expiresAt: number | null = null): IgnoreRule {
  return { kind, target, owner: 'alice', expiresAt, why: null, line: 1 };
}

/** Compare settings with the design's default headers. */
export function settings(ignore: IgnoreRule[] = [], headers: string[] = ['content-type', 'location', 'cache-control']): CompareSettings {
  return { headers, ignore };
}
