/** The users service's request and answer shapes: one zod schema each, for validation and for OpenAPI. */
import { z } from '@hono/zod-openapi';

export const USERNAME = /^[A-Za-z0-9_-]{3,32}$/;
export const MIN_PASSWORD_CHARS = 8;
export const MAX_PASSWORD_CHARS = 200;
export const MAX_IDS = 500;

export const User = z
  .object({
    id: z.number().int().positive().openapi({ example: 1 }),
    username: z.string().openapi({ example: 'alice' }),
    created_at: z.string().openapi({ example: '2026-01-02T03:04:05Z' }),
  })
  .openapi('User');

export const UserAnswer = z.object({ user: User }).openapi('UserAnswer');
export const MaybeUserAnswer = z.object({ user: User.nullable() }).openapi('MaybeUserAnswer');
export const UsersAnswer = z.object({ users: z.array(User) }).openapi('UsersAnswer');

export const IdParam = z.object({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'must be a positive integer without sign or leading zeros')
    .refine((text) => Number.isSafeInteger(Number(text)), 'must be at most 9007199254740991')
    .openapi({ param: { name: 'id', in: 'path' }, example: '1' }),
});

export const UsernameParam = z.object({
  username: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'username', in: 'path' }, example: 'alice' }),
});

export const IdsQuery = z.object({
  ids: z
    .string()
    .regex(/^[1-9][0-9]{0,15}(,[1-9][0-9]{0,15})*$/, 'must be comma-separated positive integers, e.g. ids=1,2,3')
    .refine((text) => text.split(',').length <= MAX_IDS, `at most ${MAX_IDS} ids per call`)
    .refine((text) => text.split(',').every((id) => Number.isSafeInteger(Number(id))), 'each id must be at most 9007199254740991')
    .openapi({ param: { name: 'ids', in: 'query' }, example: '1,2,3' }),
});

// A NUL cannot be stored faithfully on both sides (legacy's API refuses it with 422 first); said the same
// way as legacy's field check: `password: must not contain NUL characters (\u0000); remove them`.
const NO_NUL = [(text: string) => !text.includes('\0'), 'must not contain NUL characters (\\u0000); remove them'] as const;

const password = z
  .string()
  .min(MIN_PASSWORD_CHARS, `must be at least ${MIN_PASSWORD_CHARS} characters`)
  .max(MAX_PASSWORD_CHARS, `must be at most ${MAX_PASSWORD_CHARS} characters`)
  .refine(...NO_NUL)
  .openapi({ example: 'correct horse battery staple' });

export const Credentials = z
  .object({
    username: z
      .string()
      .max(200, 'must be at most 200 characters')
      .refine(...NO_NUL)
      .openapi({ example: 'alice' }),
    // Legacy's login form accepts up to 1,000 characters; a longer guess is simply wrong, not malformed.
    password: z
      .string()
      .max(1000, 'must be at most 1000 characters')
      .refine(...NO_NUL),
  })
  .openapi('Credentials');

export const Registration = z
  .object({
    username: z.string().regex(USERNAME, 'must be 3 to 32 characters of A-Z a-z 0-9 _ -').openapi({ example: 'dora' }),
    password,
  })
  .openapi('Registration');
