/** README recipe: a Flask app (Flask's own signed session cookie) behind both front doors, unchanged. */
import { expect } from 'vitest';
import { cookiesOf, describeRecipe } from './harness.ts';

describeRecipe('Flask notes app', {
  stack: 'examples/flask/stack.yaml',
  async login(send) {
    const answer = await send({ path: '/login', form: { username: 'alice', password: 'alice-password' } });
    expect(answer.status).toBe(302);
    return { cookie: cookiesOf(answer) };
  },
  loggedIn: { path: '/', shows: /Signed in as alice\./ },
  cases: [
    { path: '/', anonymous: true },
    { path: '/login', anonymous: true },
    { path: '/login', form: { username: 'alice', password: 'wrong' }, anonymous: true },
    { path: '/notes', form: { text: 'hello' }, anonymous: true },
    { path: '/' },
    { path: '/notes', form: { text: 'first <b>note</b>' } },
    { path: '/notes', form: { text: 'second, with ünïcode' } },
    { path: '/notes', form: { text: '  ' } },
    { path: '/notes/0' },
    { path: '/notes/1?x=1&y=a%20b' },
    { path: '/notes/9' },
    { path: '/notes/not-a-number' },
    { path: '/nowhere' },
    { method: 'HEAD', path: '/' },
    { method: 'DELETE', path: '/notes/0' },
    { path: '/healthz' },
    { path: '/' },
    { path: '/logout', form: {} },
  ],
});
