/**
 * A rendered thread page cut at the one place that changes on every view, its view count, and kept as
 * UTF-8 bytes: a page seen again (by the same viewer, of the same thread version) is the two kept pieces
 * around the count, with no template filled, no escaping and no encoding.
 */
import { Markup } from '../forum-common/index.ts';

/** The page's bytes before and after its view count. */
export interface PageAroundCount {
  readonly before: Buffer;
  readonly after: Buffer;
}

// Where the count goes while the page is rendered; NUL is in no template and escaping leaves it alone.
const COUNT_MARK = '\u0000view_count\u0000';

/**
 * Render a page with a mark where its view count goes and cut it there; null when the mark is not in the
 * page exactly once (a title that holds the mark itself): such a page is rendered whole on every view.
 *
 * @example
 * const around = pageAroundCount((count) => parts.page({ ...shell, thread: { ...thread, view_count: count } }));
 * around && withViewCount(around, 42); // the page's bytes with "42 views"
 */
export function pageAroundCount(render: (viewCount: Markup) => string): PageAroundCount | null {
  const pieces = render(new Markup(COUNT_MARK)).split(COUNT_MARK);
  if (pieces.length !== 2) return null;
  return { before: Buffer.from(pieces[0]!), after: Buffer.from(pieces[1]!) };
}

/**
 * The page's bytes with `viewCount` in its place.
 *
 * @example
 * withViewCount({ before: Buffer.from('<p>'), after: Buffer.from(' views</p>') }, 7).toString(); // '<p>7 views</p>'
 */
export function withViewCount({ before, after }: PageAroundCount, viewCount: number): Buffer<ArrayBuffer> {
  const count = String(viewCount);
  const page = Buffer.allocUnsafe(before.length + count.length + after.length);
  before.copy(page, 0);
  page.write(count, before.length, 'latin1');
  after.copy(page, before.length + count.length);
  return page;
}
