import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, deferred, silentLogger } from '../../src/log.js';

function counting(): { materialise: () => pino.Logger; calls: () => number; lines: () => Array<Record<string, unknown>> } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  let calls = 0;
  return {
    materialise: () => {
      calls++;
      return pino({ level: 'debug', base: undefined }, stream);
    },
    calls: () => calls,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('the deferred logger', () => {
  it('loads nothing while every call is below its level', () => {
    const sink = counting();
    const logger = deferred(40, 'warn', sink.materialise);
    logger.debug('no');
    logger.info({ job: 'build' }, 'no');
    logger.child({ job: 'x' }).info('no');
    expect(sink.calls()).toBe(0);
  });

  it('creates the real logger once, on the first enabled line, and passes objects, messages and child bindings through', async () => {
    const sink = counting();
    const logger = deferred(30, 'info', sink.materialise);
    logger.info({ job: 'build', files: 3 }, 'feeds built');
    logger.warn('plain message');
    const child = logger.child({ job: 'digest' });
    child.error({ failed: 1 }, 'delivery failed');
    child.debug('below the level');
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.calls()).toBe(1);
    expect(sink.lines()).toEqual([
      { level: 30, time: expect.any(Number), job: 'build', files: 3, msg: 'feeds built' },
      { level: 40, time: expect.any(Number), msg: 'plain message' },
      { level: 50, time: expect.any(Number), job: 'digest', failed: 1, msg: 'delivery failed' },
    ]);
  });

  it('writes JSON lines to the destination at the configured level', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    const logger = createLogger({ level: 'warn', pretty: false, destination: stream });
    logger.info('hidden');
    logger.warn({ file: 'a.md' }, 'shown');
    await new Promise((resolve) => setImmediate(resolve));
    const lines = chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, file: 'a.md', msg: 'shown' });
  });

  it('refuses an unknown level by name, and the silent logger never writes', () => {
    expect(() => createLogger({ level: 'loud' })).toThrow(/unknown log level "loud"/);
    expect(() => silentLogger().error('nothing')).not.toThrow();
  });
});
