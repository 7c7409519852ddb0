/**
 * The control plane's one error: `refused` (nothing switched, the table or a handler is wrong) or
 * `failed` (something did not follow; the message names it). Its own file, so the commands can tell
 * them apart without loading the stack side.
 *
 * @example
 * throw new ControlError('refused', "nothing was switched: handler 'ghost' is not served by the running TS server");
 */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly kind: 'refused' | 'failed',
    message: string,
  ) {
    super(message);
  }
}
