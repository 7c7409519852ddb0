/**
 * A pass-through stream that fails with {@link BodyTooLargeError} once more than `maxBodyBytes` went
 * through it: the limit for request bodies whose length is not announced (chunked uploads).
 *
 * @example
 * req.pipe(limitBody(1_048_576)).pipe(upstreamReq);
 */
import { Transform } from 'node:stream';
import { BodyTooLargeError } from './errors.ts';

export function limitBody(maxBodyBytes: number): Transform {
  let seenBytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seenBytes += chunk.length;
      if (seenBytes > maxBodyBytes) callback(new BodyTooLargeError(maxBodyBytes));
      else callback(null, chunk);
    },
  });
}
