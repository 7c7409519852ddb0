import { describe, expect, it } from 'vitest';
import { Markup } from '../forum-common/index.ts';
import { pageAroundCount, withViewCount } from './page-around-count.ts';

describe('pageAroundCount and withViewCount', () => {
  it('give the page as rendered with the count, in UTF-8, for every count', () => {
    const render = (count: number | Markup) => `<title>日本語 ✓</title><p>3 posts · ${count instanceof Markup ? count.html : count} views</p>\n`;
    const around = pageAroundCount(render)!;
    for (const count of [0, 7, 1234567, Number.MAX_SAFE_INTEGER]) expect(withViewCount(around, count)).toEqual(Buffer.from(render(count)));
  });

  it('keep nothing for a page that holds the mark twice (a title that spells it), which is then rendered whole', () => {
    expect(pageAroundCount((count) => `<title>${count.html}</title><p>${count.html} views</p>`)).toBeNull();
    expect(pageAroundCount(() => '<p>no count</p>')).toBeNull();
  });
});
