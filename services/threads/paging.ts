/** How both thread views (the API's JSON and the HTML page) page a thread's posts: 50 by default, at most 200. */
import { parsePaging } from '../forum-common/index.ts';
import type { PostRow, ThreadQueries } from './queries.ts';

const POSTS_PER_PAGE_DEFAULT = 50;
const POSTS_PER_PAGE_MAX = 200;

/**
 * `page` and `per_page` of a request URL, or the API's 400 error (thrown).
 *
 * @example
 * parseThreadPaging('http://x/t/1?page=2'); // { page: 2, perPage: 50 }
 */
export function parseThreadPaging(url: string): { page: number; perPage: number } {
  return parsePaging(url, POSTS_PER_PAGE_DEFAULT, POSTS_PER_PAGE_MAX);
}

/**
 * One page of a thread's posts in id order, with the total and the page count (at least 1).
 *
 * @example
 * pageOfPosts(queries, 7, 2, 50); // { posts: [...5 rows], total: 55, pages: 2 }
 */
export function pageOfPosts(queries: ThreadQueries, threadId: number, page: number, perPage: number): { posts: PostRow[]; total: number; pages: number } {
  const total = queries.countPosts(threadId);
  const offset = BigInt(page - 1) * BigInt(perPage);
  const posts = offset >= BigInt(total) ? [] : queries.posts(threadId, perPage, offset);
  return { posts, total, pages: pageCount(total, perPage) };
}

/**
 * How many pages `total` posts fill: at least 1, so an empty thread still has its first page.
 *
 * @example
 * pageCount(55, 50); // 2
 */
export const pageCount = (total: number, perPage: number): number => Math.max(1, Math.ceil(total / perPage));
