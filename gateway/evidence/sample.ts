/**
 * Mismatch samples as stored: bodies cut to a 4 KiB excerpt (on a UTF-8 character boundary), and a last
 * check that no credential got through. Redaction is the caller's job; this refuses a sample whose
 * cookie, authorization or set-cookie header still carries a value, so a missed redaction loses a
 * sample, never leaks a session.
 *
 * @example
 * unredactedHeaders(sample); // ['request cookie'] when sample.request.headers.cookie is 'sid=abc'
 * toStoredSample(sample, Date.now(), '4-1a2b3c4d').legacy.body; // at most 4096 bytes of text
 */
import { carriesSecret } from '../compare/redact.ts';
import type { Sample, SampleAnswer, StoredAnswer, StoredSample } from './types.ts';

export const SAMPLE_BODY_BYTES = 4096;

/** Where a sample still holds a credential: 'request cookie', 'ts set-cookie', ...; empty when clean. */
export function unredactedHeaders(sample: Sample): string[] {
  const found: string[] = [];
  const check = (where: string, headers: Readonly<Record<string, string | null>>) => {
    const name = carriesSecret(headers);
    if (name !== null) found.push(`${where} ${name.toLowerCase()}`);
  };
  check('request', sample.request.headers);
  check('legacy', sample.legacy.headers);
  check('ts', sample.ts.headers);
  return found;
}

export function toStoredSample(sample: Sample, at: number, revision: string): StoredSample {
  return {
    at,
    revision,
    request: { method: sample.request.method, target: sample.request.target, headers: { ...sample.request.headers } },
    legacy: toStoredAnswer(sample.legacy),
    ts: toStoredAnswer(sample.ts),
  };
}

function toStoredAnswer(answer: SampleAnswer): StoredAnswer {
  const bytes = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : Buffer.from(answer.body.buffer, answer.body.byteOffset, answer.body.byteLength);
  const bodyTruncated = bytes.length > SAMPLE_BODY_BYTES;
  return { status: answer.status, headers: { ...answer.headers }, body: utf8Prefix(bytes, SAMPLE_BODY_BYTES), bodyTruncated };
}

/** At most maxBytes of UTF-8, cut before a character that would not fit whole. */
function utf8Prefix(bytes: Buffer, maxBytes: number): string {
  if (bytes.length <= maxBytes) return bytes.toString('utf8');
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1; // a continuation byte: back to its lead
  return bytes.subarray(0, end).toString('utf8');
}
