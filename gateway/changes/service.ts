/**
 * `POST /_internal/v1/changes {"changes": [{"kind": "post", "thread": 12, "board": "general"}, …]}`: the
 * legacy app says, after a commit, what it changed; every subscriber of the bus hears it (the page cache
 * drops what it touched). Answers 202 `{"accepted": n}` once the subscribers of this process have heard it.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { internalRoutes } from '../internal/index.ts';
import { defineService, type Service } from '../server/service.ts';
import type { Change, ChangeBus } from './bus.ts';

/** The most changes one call may carry; a commit that touched more sends several calls. */
export const MAX_CHANGES_PER_CALL = 1_000;

const Scalar = z.union([z.string().max(1_000), z.number(), z.boolean(), z.null()]);
const ChangeSchema = z
  .object({
    kind: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z][a-z0-9_.-]*$/, 'kind must be lowercase letters, digits, "_", "." or "-", starting with a letter (e.g. "post")'),
  })
  .catchall(Scalar)
  .openapi('Change');
const Changes = z.object({ changes: z.array(ChangeSchema).min(1).max(MAX_CHANGES_PER_CALL) }).openapi('Changes');
const ErrorAnswer = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });

/**
 * @example
 * const changes = createChangesService(bus); // compose it with the app's services
 * // legacy: client.post('/_internal/v1/changes', {"changes": [{"kind": "post", "thread": 12, "board": "general"}]})
 */
export function createChangesService(bus: ChangeBus): Service {
  const internal = internalRoutes();
  internal.openapi(
    createRoute({
      method: 'post',
      path: '/_internal/v1/changes',
      request: { body: { content: { 'application/json': { schema: Changes } }, required: true } },
      responses: {
        202: json(z.object({ accepted: z.number().int() }), 'every subscriber of this process heard the changes; sibling processes hear them next'),
        400: json(ErrorAnswer, 'the body is not {"changes": [...]} with 1 to 1000 changes, each with a kind'),
        401: json(ErrorAnswer, 'missing or wrong bearer token'),
      },
    }),
    (c) => {
      const { changes } = c.req.valid('json');
      bus.publish(changes as Change[]);
      return c.json({ accepted: changes.length }, 202);
    },
  );
  return defineService({ name: 'changes', internal });
}
