/**
 * The forum's HTML error page, rendered from legacy's own template so that a page error looks the same
 * whichever side served it. The template uses Python `string.Template` placeholders: `$status`,
 * `$title`, `$message` (`$$` is a literal dollar); values are HTML-escaped as Python's `html.escape`.
 */
import { readFileSync } from 'node:fs';

export interface ErrorPageFields {
  readonly status: number;
  readonly title: string;
  readonly message: string;
}

const PLACEHOLDER = /\$(?:(\$)|([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})/g;
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };

/** Python's `html.escape(text, quote=True)`. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);

/**
 * Read the template once and return its renderer. Throws at start-up if the template names a placeholder
 * this renderer does not fill, so a template change cannot produce half-rendered pages later.
 *
 * @example
 * const render = loadErrorPage('legacy-python/forum/templates/error.html');
 * render({ status: 404, title: 'Not Found', message: 'No such page.' }); // '<!doctype html>…'
 */
export function loadErrorPage(file: string): (fields: ErrorPageFields) => string {
  const template = readFileSync(file, 'utf8');
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[2] ?? match[3];
    if (name !== undefined && !['status', 'title', 'message'].includes(name)) {
      throw new Error(`${file} uses the placeholder $${name}; the error page renderer only fills $status, $title and $message`);
    }
  }
  return ({ status, title, message }) => {
    const values: Record<string, string> = { status: String(status), title: escapeHtml(title), message: escapeHtml(message) };
    return template.replace(PLACEHOLDER, (_all, dollar: string | undefined, name: string | undefined, braced: string | undefined) =>
      dollar !== undefined ? '$' : (values[name ?? braced ?? ''] ?? ''),
    );
  };
}
