/** The Hono environment of the TS server's outer app. */
import type { HttpBindings } from '@hono/node-server';
import type { ForwardOutcome } from '../proxy/index.ts';
import type { Plan } from './plan.ts';

export type ServerEnv = {
  Bindings: HttpBindings;
  Variables: {
    requestId: string;
    /** Which side answered, for the access log. */
    backend: 'ts' | 'legacy';
    /** The request's plan, once the dispatch made one (a request refused before routing has none). */
    plan: Plan;
    /** How the forward to legacy went, when the request was forwarded. */
    outcome: ForwardOutcome;
    /** Set when legacy answered because the handler failed before its first byte (./fallback.ts). */
    fallback: 'legacy';
  };
};
