/**
 * A captured body as the client reads it: a gzip, deflate or br content-coding undone, so a side that
 * compresses and one that does not compare by what they say, not by their bytes on the wire.
 */
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { Captured } from './types.ts';

/** A decoded body larger than this is not decoded (compared as captured): a compression bomb stays small. */
const MAX_DECODED_BYTES = 8 * 1024 * 1024;

const DECODERS: Readonly<Record<string, (body: Buffer, options: { maxOutputLength: number }) => Buffer>> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

/**
 * The body with its content-coding undone, or as captured when it has none (or one this does not know,
 * or it does not decode: then the bytes are what there is to compare).
 *
 * @example
 * decodedBody({ ...answer, headers: { 'content-encoding': 'gzip' }, body: gzipSync('{"a":1}') }); // Buffer '{"a":1}'
 */
export function decodedBody(answer: Captured): Buffer {
  const coding = (answer.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity' || !Object.hasOwn(DECODERS, coding)) return answer.body;
  try {
    return DECODERS[coding]!(answer.body, { maxOutputLength: MAX_DECODED_BYTES });
  } catch {
    return answer.body;
  }
}
