/** GET /api/v1/me, moved to services/users: the session legacy started, recognised on both sides. */
import type { ParityCase } from './harness.ts';

export const ME_CASES: readonly ParityCase[] = [
  { name: 'answers the user of a session started on legacy', path: '/api/v1/me', cookie: 'forum_session={session:alice}', status: 200 },
  { name: 'answers another user of another session', path: '/api/v1/me', cookie: 'theme=dark; forum_session={session:bob}; x=1', status: 200 },
  { name: 'takes the first of two session cookies, as legacy does', path: '/api/v1/me', cookie: 'forum_session={session:carol}; forum_session={session:alice}', status: 200 },
  { name: 'accepts a quoted cookie value', path: '/api/v1/me', cookie: 'forum_session="{session:bob}"', status: 200 },
  { name: 'answers 401 without a cookie', path: '/api/v1/me', status: 401 },
  { name: 'answers 401 for an unknown session', path: '/api/v1/me', cookie: 'forum_session=not-a-session', status: 401 },
  { name: 'answers 401 for an empty session cookie', path: '/api/v1/me', cookie: 'forum_session=', status: 401 },
  { name: 'answers 401 for a cookie of another name', path: '/api/v1/me', cookie: 'forum_sessionx={session:alice}', status: 401 },
  { name: 'answers HEAD like GET without a body', method: 'HEAD', path: '/api/v1/me', cookie: 'forum_session={session:alice}', status: 200 },
  // POST and /api/v1/me/ are legacy's in the table: the TS server passes them on, so they are no parity cases.
];
