/** README recipe: a Django project (sessions in Django's signed cookie, CSRF on every form) behind both front doors. */
import { expect } from 'vitest';
import { cookiesOf, describeRecipe } from './harness.ts';

const CSRF_FIELD = /name="csrfmiddlewaretoken" value="([^"]+)"/;

describeRecipe('Django notes project', {
  stack: 'examples/django/stack.yaml',
  async login(send) {
    const form = await send({ path: '/login/' });
    const csrfCookie = cookiesOf(form);
    const token = CSRF_FIELD.exec(form.body.toString())?.[1];
    expect(token).toBeDefined();
    const answer = await send({ path: '/login/', form: { username: 'alice', password: 'alice-password', csrfmiddlewaretoken: token! }, headers: { cookie: csrfCookie } });
    expect(answer.status).toBe(302);
    return { cookie: `${csrfCookie}; ${cookiesOf(answer)}`, fields: { csrfmiddlewaretoken: token! } };
  },
  loggedIn: { path: '/', shows: /Signed in as alice\./ },
  // Django masks the CSRF token afresh in every page it renders; the unmasked secret is the cookie's.
  normalizeBody: (body) => body.replace(new RegExp(CSRF_FIELD.source, 'g'), 'name="csrfmiddlewaretoken" value="(masked)"'),
  // Django sets the CSRF cookie again on every page with a form, expiring a year from now to the second.
  normalizeHeader: (name, value) => (name === 'set-cookie' ? value.replace(/expires=[^;]+/i, 'expires=(a year from now)') : value),
  cases: [
    { path: '/' },
    { path: '/login/' },
    { path: '/login/', form: { username: 'alice', password: 'wrong' } },
    { path: '/notes/', form: { text: 'no token' }, anonymous: true },
    { path: '/notes', form: { text: 'no slash' } },
    { path: '/notes' },
    { path: '/notes/', form: { text: 'first <b>note</b>' } },
    { path: '/notes/', form: { text: 'second, with ünïcode' } },
    { path: '/notes/', form: { text: '  ' } },
    { path: '/notes/0/' },
    { path: '/notes/1/?x=1&y=a%20b' },
    { path: '/notes/9/' },
    { path: '/nowhere' },
    { method: 'HEAD', path: '/' },
    { method: 'DELETE', path: '/notes/0/' },
    { path: '/healthz/' },
    { path: '/' },
    { path: '/logout/', form: {} },
  ],
});
