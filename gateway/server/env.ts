/** The Hono environment of the TS server's outer app. */
import type { HttpBindings } from '@hono/node-server';

export type ServerEnv = {
  Bindings: HttpBindings;
  Variables: {
    requestId: string;
    /** Which side answered, for the access log. */
    backend: 'ts' | 'legacy';
  };
};
