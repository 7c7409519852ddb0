/**
 * Reading a request body whose length is not announced (a chunked upload) whole, up to a limit, so it
 * can go upstream with a Content-Length: many WSGI servers cannot read a chunked body, and nginx
 * (proxy_request_buffering on) sends such bodies with a length too.
 *
 * @example
 * const body = await readWholeBody(req, 16 * 1024 * 1024); // rejects with BodyTooLargeError past the limit
 * upstreamHeaders['content-length'] = String(body.length);
 */
import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError } from './errors.ts';

/** The client went away before its body was complete. */
export class BodyIncompleteError extends Error {
  readonly code = 'ECONNRESET';
  constructor() {
    super('the client closed the connection before the request body was complete');
  }
}

/** All of `req`'s body; rejects with {@link BodyTooLargeError} once more than `maxBodyBytes` arrived. */
export function readWholeBody(req: IncomingMessage, maxBodyBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let seenBytes = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      seenBytes += chunk.length;
      if (seenBytes <= maxBodyBytes) return void chunks.push(chunk);
      stop();
      // The rest is not read: the 413 goes out with Connection: close.
      req.pause();
      reject(new BodyTooLargeError(maxBodyBytes));
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, seenBytes));
    };
    const onError = (err: Error): void => {
      stop();
      reject(err);
    };
    const onClose = (): void => {
      if (req.complete) return;
      stop();
      reject(new BodyIncompleteError());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
