/** README recipe: an app on the standard library's http.server behind both front doors, unchanged. */
import { describeRecipe } from './harness.ts';

describeRecipe('http.server to-do app', {
  stack: 'examples/http-server/stack.yaml',
  cases: [
    { path: '/' },
    { path: '/items', form: { text: 'buy milk' } },
    { path: '/items', form: { text: '' } },
    { path: '/items/0' },
    { path: '/items/3' },
    { path: '/title', form: { title: 'Chores' } },
    { path: '/', headers: { cookie: 'title=Chores' } },
    { path: '/elsewhere', form: { x: '1' } },
    { path: '/nowhere?q=1' },
    { method: 'HEAD', path: '/' },
    { method: 'DELETE', path: '/items/0' },
  ],
});
