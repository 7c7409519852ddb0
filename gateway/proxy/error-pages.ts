/**
 * The gateway's own error pages: the one place that says which page answers which case. Every status
 * the gateway answers itself has a page `<status>.html` in one pages directory (STRANGLER_PAGES_DIR; the
 * gateway's neutral pages by default, an app may name its own). nginx's generated config serves that
 * directory for these statuses (`error_page`), and the edge and the TS server send the same bytes, so a
 * client cannot tell which door answered:
 * - 400: a request target the normalizer refuses (as nginx does), more than one or an empty Host;
 * - 404: any path under /_internal;
 * - 413: a request body over `settings.max_body_mb`;
 * - 502: the backend cannot be reached or breaks off its answer;
 * - 503: reserved for a door with no backend to send to (none answers it today);
 * - 504: the backend says nothing for `settings.proxy_timeout_s`.
 *
 * @example
 * const pages = loadErrorPages(config.pagesDir);
 * sendErrorPage(res, 502, pages);
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { NEUTRAL_PAGES_DIR } from '../config/index.ts';

export const DEFAULT_ERROR_PAGES_DIR = NEUTRAL_PAGES_DIR;

/** The statuses the gateway itself answers with, each with its page. */
export const ERROR_PAGE_STATUSES = [400, 404, 413, 502, 503, 504] as const;
export type ErrorPageStatus = (typeof ERROR_PAGE_STATUSES)[number];

const REASONS: Record<ErrorPageStatus, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Content Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export type ErrorPages = Readonly<Record<ErrorPageStatus, Buffer>>;

// Only used when the pages directory lacks a file, so a missing page never turns an error into a crash.
const fallbackPage = (status: ErrorPageStatus): Buffer =>
  Buffer.from(`<!DOCTYPE html>\n<html><head><title>${status} ${REASONS[status]}</title></head>\n<body><h1>${status} ${REASONS[status]}</h1></body></html>\n`);

/** Read every page once; a missing file falls back to a minimal built-in page. */
export function loadErrorPages(dir = DEFAULT_ERROR_PAGES_DIR): ErrorPages {
  const pages = {} as Record<ErrorPageStatus, Buffer>;
  for (const status of ERROR_PAGE_STATUSES) {
    try {
      pages[status] = readFileSync(join(dir, `${status}.html`));
    } catch {
      pages[status] = fallbackPage(status);
    }
  }
  return Object.freeze(pages);
}

const PAGE_HEADERS = { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' } as const;

export const isErrorPageStatus = (status: number): status is ErrorPageStatus => (ERROR_PAGE_STATUSES as readonly number[]).includes(status);

export interface ErrorPageOptions {
  /** Close the connection after the page (413: the rest of the body is not read). */
  readonly close?: boolean;
}

/**
 * Answer with the static page for `status`, never cached. Headers the response already carries
 * (X-Request-Id) stay; anything an upstream might have set is not there because nothing was sent yet.
 */
export function sendErrorPage(res: ServerResponse, status: ErrorPageStatus, pages: ErrorPages, { close = false }: ErrorPageOptions = {}): void {
  const body = pages[status];
  res.statusCode = status;
  for (const [name, value] of Object.entries(PAGE_HEADERS)) res.setHeader(name, value);
  res.setHeader('Content-Length', body.length);
  if (close) res.setHeader('Connection', 'close');
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/**
 * The same page as a fetch Response, for a Hono app (the TS server's own 400 and /_internal 404).
 *
 * @example
 * app.get('/_internal/*', (c) => errorPageResponse(404, pages));
 */
export function errorPageResponse(status: ErrorPageStatus, pages: ErrorPages, { close = false }: ErrorPageOptions = {}): Response {
  const body = pages[status];
  const headers = { ...PAGE_HEADERS, 'Content-Length': String(body.length), ...(close ? { Connection: 'close' } : {}) };
  return new Response(new Uint8Array(body), { status, headers });
}
