/**
 * How large a header block may be on every door, and the one answer past the limit: request heads up to
 * 32 KiB (431 and its page beyond: gateway/edge/client-error.ts), response heads up to 64 KiB (502 and its page beyond). nginx gets the
 * same limits from the generated config (large_client_header_buffers, proxy_buffer_size).
 *
 * @example
 * const server = createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES }, handler);
 */
import type { Agent, ClientRequest } from 'node:http';

/** The largest request line plus header block a front door accepts. */
export const MAX_REQUEST_HEAD_BYTES = 32 * 1024;
/** The largest response status line plus header block the proxy passes on. */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;
/** The TS server sits behind a door, which adds its own headers (request id, X-Forwarded-*) to what it passed. */
export const BEHIND_DOOR_REQUEST_HEAD_BYTES = MAX_REQUEST_HEAD_BYTES + 8 * 1024;

type AddRequest = (req: ClientRequest & { maxHeaderSize?: number }, options: unknown) => void;

/**
 * `agent`, with every request through it parsing response heads up to {@link MAX_RESPONSE_HEAD_BYTES}
 * (Node's default is 16 KiB). Beyond it the parser fails and the client gets the 502 page.
 *
 * @example
 * const agent = withResponseHeadLimit(new Agent({ keepAlive: true }));
 */
export function withResponseHeadLimit(agent: Agent): Agent {
  // Node reads req.maxHeaderSize when it sets up the response parser, a tick after the request is built;
  // the agent's addRequest (not in the typings) is the one hook between the two that every request passes.
  const internals = agent as Agent & { addRequest: AddRequest };
  const addRequest = internals.addRequest.bind(agent);
  internals.addRequest = (req, options) => {
    req.maxHeaderSize = MAX_RESPONSE_HEAD_BYTES;
    addRequest(req, options);
  };
  return agent;
}
