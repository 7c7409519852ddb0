/**
 * The markdown service: `POST /_internal/v1/markdown/render` turns a post's source into the safe HTML
 * legacy stores with it, byte for byte what legacy's own renderer (forum/markdown.py) wrote.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { internalRoutes } from '../../gateway/internal/index.ts';
import { defineService, type Service } from '../../gateway/server/index.ts';
import { renderMarkdown } from './render.ts';

export { renderMarkdown };

export const MAX_SOURCE_CHARS = 20_000;

const RenderRequest = z
  .object({
    source: z
      .string()
      .refine((text) => [...text].length <= MAX_SOURCE_CHARS, `must be at most ${MAX_SOURCE_CHARS} characters`)
      .openapi({ example: 'Hello *world*' }),
  })
  .openapi('RenderRequest');
const RenderAnswer = z.object({ html: z.string().openapi({ example: '<p>Hello <em>world</em></p>' }) }).openapi('RenderAnswer');

/**
 * @example
 * const markdown = createMarkdownService();
 * // POST /_internal/v1/markdown/render {"source":"*hi*"} → {"html":"<p><em>hi</em></p>"}
 */
export function createMarkdownService(): Service {
  const internal = internalRoutes();
  internal.openapi(
    createRoute({
      method: 'post',
      path: '/_internal/v1/markdown/render',
      request: { body: { content: { 'application/json': { schema: RenderRequest } }, required: true } },
      responses: { 200: { content: { 'application/json': { schema: RenderAnswer } }, description: 'the rendered HTML' } },
    }),
    (c) => c.json({ html: renderMarkdown(c.req.valid('json').source) }, 200),
  );
  return defineService({ name: 'markdown', internal });
}
