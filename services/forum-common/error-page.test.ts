import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadErrorPage } from './error-page.ts';

const dir = mkdtempSync(join(tmpdir(), 'error-page-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const templateFile = (text: string): string => {
  const file = join(dir, `${Math.random()}.html`);
  writeFileSync(file, text);
  return file;
};

describe('loadErrorPage', () => {
  it('fills $status, ${title} and $message, HTML-escaped, and keeps $$ as a dollar', () => {
    const render = loadErrorPage(templateFile('<h1>$status ${title}</h1><p>$message</p> costs $$5'));
    expect(render({ status: 404, title: 'Not <Found>', message: `"a" & 'b'` })).toBe('<h1>404 Not &lt;Found&gt;</h1><p>&quot;a&quot; &amp; &#x27;b&#x27;</p> costs $5');
  });

  it('refuses a template with a placeholder it cannot fill', () => {
    expect(() => loadErrorPage(templateFile('<p>$user</p>'))).toThrow(/\$user/);
  });
});
