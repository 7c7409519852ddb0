/**
 * The front door's static error pages. nginx serves `nginx/pages/<status>.html` for its own errors;
 * the Node side serves the same bytes so a client cannot tell which front door answered.
 *
 * @example
 * const pages = loadErrorPages();
 * sendErrorPage(res, 502, pages);
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_ERROR_PAGES_DIR = fileURLToPath(new URL('../../nginx/pages', import.meta.url));

/** The statuses the front door itself can answer with. */
export const ERROR_PAGE_STATUSES = [400, 404, 413, 431, 502, 503, 504] as const;
export type ErrorPageStatus = (typeof ERROR_PAGE_STATUSES)[number];

const REASONS: Record<ErrorPageStatus, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export type ErrorPages = Readonly<Record<ErrorPageStatus, Buffer>>;

// Only used when nginx/pages lacks a file, so a missing page never turns an error into a crash.
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
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', 'no-store');
  if (close) res.setHeader('Connection', 'close');
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
