/** README recipe: a plain WSGI app under gunicorn behind both front doors, unchanged. */
import { describeRecipe } from './harness.ts';

describeRecipe('WSGI guestbook under gunicorn', {
  stack: 'examples/wsgi/stack.yaml',
  cases: [
    { path: '/' },
    { path: '/sign', form: { name: 'Ann', message: 'hello <there>' } },
    { path: '/', headers: { cookie: 'name=Ann' } },
    { path: '/sign', form: { name: '', message: 'anonymous' } },
    { path: '/sign' },
    { path: '/entries/0' },
    { path: '/entries/0?ref=a%2Fb' },
    { path: '/entries/5' },
    { path: '/nowhere/%7Efile' },
    { method: 'HEAD', path: '/' },
    { path: '/healthz' },
  ],
});
