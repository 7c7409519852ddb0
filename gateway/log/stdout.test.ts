import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { fdLines } from './stdout.ts';

describe('fdLines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strangler-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each line as it comes, in order, so it is out before an exit', () => {
    const file = join(dir, 'out.log');
    const fd = openSync(file, 'w');
    const logger = pino({ base: null, timestamp: false }, fdLines({ fd }));
    logger.info({ event: 'listening' }, 'one');
    logger.fatal({ event: 'refused' }, 'two');
    expect(readFileSync(file, 'utf8')).toBe('{"level":30,"event":"listening","msg":"one"}\n{"level":60,"event":"refused","msg":"two"}\n');
    closeSync(fd);
  });

  it('drops lines without throwing once nobody can take them (EPIPE, EBADF)', () => {
    const file = join(dir, 'read-only.log');
    closeSync(openSync(file, 'w'));
    // Writing to a descriptor opened for reading fails as a closed pipe does: not with EAGAIN.
    const fd = openSync(file, 'r');
    const sink = fdLines({ fd });
    expect(() => {
      for (let i = 0; i < 3; i++) sink.write('{"event":"draining"}\n');
    }).not.toThrow();
    expect(readFileSync(file, 'utf8')).toBe('');
    closeSync(fd);
  });
});
