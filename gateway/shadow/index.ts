/**
 * Shadow copies: legacy answers the user, the route's TS handler gets the same request with
 * `X-Strangler-Shadow: 1` in the worker's low-priority shadow process (./process-runner.ts, ./child-main.ts)
 * or in-process (./runner.ts, `STRANGLER_SHADOW_RUNNER=inline`), and the two answers are compared
 * (gateway/compare) and recorded (gateway/evidence). The user never waits for the copy and never sees it. docs/traffic-modes.md, "Shadow".
 *
 * @example
 * // a service that writes on GET: not for a copy
 * app.get('/t/:id', (c) => { if (!isShadowRequest(c)) views.record(id); return c.html(page); });
 * // the TS server
 * const shadows = createProcessShadowRunner({ recorder, logger, timeoutMs });
 */
export { isShadowRequest, dropClientShadowHeader, SHADOW_HEADER } from './header.ts';
export {
  createShadowRunner,
  SHADOW_STARTS,
  type ShadowCopy,
  type ShadowHandler,
  type ShadowRequest,
  type ShadowRunner,
  type ShadowRunnerOptions,
  type ShadowStart,
} from './runner.ts';
export { createProcessShadowRunner, forkShadowChild, SHADOW_CHILD_PRIORITY, WAIT_LIMITS, type ProcessRunnerOptions, type WaitLimits } from './process-runner.ts';
export { createLegacyAgain, type AskLegacyAgain, type LegacyAgainRequest } from './legacy-again.ts';
export { captureResponse, copyBody, readAnswer, headerRecord, type CopiedBody } from './capture.ts';
export { callHandler, type CallResult, type HandlerCall, type RunningCall } from './call.ts';
