import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_RESPONSE_HEAD_BYTES, withResponseHeadLimit } from './header-limits.ts';

describe('withResponseHeadLimit', () => {
  it('lets every request through the agent parse response heads up to the limit', () => {
    const agent = withResponseHeadLimit(new Agent());
    const req = request({ host: '127.0.0.1', port: 9, agent });
    req.on('error', () => undefined);
    expect((req as typeof req & { maxHeaderSize?: number }).maxHeaderSize).toBe(MAX_RESPONSE_HEAD_BYTES);
    req.destroy();
    agent.destroy();
  });
});
