/**
 * The front-door settings the edge reads from a route table: body size limit and upstream timeout.
 *
 * @example
 * const { maxBodyBytes, proxyTimeoutMs } = edgeSettings(table);
 */
import type { RouteTable } from '../routes/types.ts';

export interface EdgeSettings {
  readonly maxBodyBytes: number;
  readonly proxyTimeoutMs: number;
}

/** Used only when a table carries no settings of its own. */
export const DEFAULT_EDGE_SETTINGS = { maxBodyBytes: 32 * 1024 * 1024, proxyTimeoutMs: 60_000 } as const satisfies EdgeSettings;

const positive = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback);

export function edgeSettings(table: RouteTable): EdgeSettings {
  // The loader attaches `settings` to the table it returns; a table built another way may not have it.
  const settings = (table as RouteTable & { readonly settings?: Partial<EdgeSettings> }).settings ?? {};
  return {
    maxBodyBytes: positive(settings.maxBodyBytes, DEFAULT_EDGE_SETTINGS.maxBodyBytes),
    proxyTimeoutMs: positive(settings.proxyTimeoutMs, DEFAULT_EDGE_SETTINGS.proxyTimeoutMs),
  };
}
