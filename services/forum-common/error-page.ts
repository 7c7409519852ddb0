/**
 * The forum's HTML error page, rendered from legacy's own template so that a page error looks the same
 * whichever side served it. The template uses Python `string.Template` placeholders: `$status`,
 * `$title`, `$message` (`$$` is a literal dollar); values are HTML-escaped as Python's `html.escape`.
 */
import { readFileSync } from 'node:fs';
import { compileTemplate, substitute } from './templates.ts';

export { escapeHtml } from './templates.ts';

export interface ErrorPageFields {
  readonly status: number;
  readonly title: string;
  readonly message: string;
}

const FIELDS = ['status', 'title', 'message'];

/**
 * Read the template once and return its renderer. Throws at start-up if the template names a placeholder
 * this renderer does not fill, so a template change cannot produce half-rendered pages later.
 *
 * @example
 * const render = loadErrorPage('legacy-python/forum/templates/error.html');
 * render({ status: 404, title: 'Not Found', message: 'No such page.' }); // '<!doctype html>…'
 */
export function loadErrorPage(file: string): (fields: ErrorPageFields) => string {
  const template = compileTemplate(readFileSync(file, 'utf8'), file);
  const unknown = template.names.find((name) => !FIELDS.includes(name));
  if (unknown !== undefined) {
    throw new Error(`${file} uses the placeholder $${unknown}; the error page renderer only fills $status, $title and $message`);
  }
  return ({ status, title, message }) => substitute(template, { status, title, message });
}
