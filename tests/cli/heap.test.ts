import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, resetTuneHeap, tuneHeap } from '../../src/heap.js';

describe('tuneHeap', () => {
  afterEach(resetTuneHeap);

  it('sets V8 heap growing percent once per process', () => {
    resetTuneHeap();
    const set: string[] = [];
    expect(tuneHeap([], '', (f) => set.push(f))).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(tuneHeap([], '', (f) => set.push(f))).toBeUndefined();
    expect(set).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
  });

  it('leaves a value given to node alone, on its command line or in NODE_OPTIONS', () => {
    for (const [argv, options] of [[['--heap-growing-percent=80'], ''], [['--heap_growing_percent=80'], ''], [[], '--max-old-space-size=512 --heap-growing-percent=80']] as const) {
      resetTuneHeap();
      const set: string[] = [];
      expect(tuneHeap(argv, options, (f) => set.push(f))).toBeUndefined();
      expect(set).toEqual([]);
    }
  });

  it('is a flag this node knows: V8 says nothing when it is set', () => {
    // V8 prints "Error: unrecognized flag" on stdout for a flag it does not have (a future
    // node's V8 may drop it): that would end up in every command's output.
    const child = spawnSync(process.execPath, ['-e', `require('node:v8').setFlagsFromString('--heap-growing-percent=${HEAP_GROWING_PERCENT}'); console.log('ok')`], { encoding: 'utf8' });
    expect(child.stdout).toBe('ok\n');
    expect(child.stderr).toBe('');
    const unknown = spawnSync(process.execPath, ['-e', `require('node:v8').setFlagsFromString('--no-such-flag-at-all'); console.log('ok')`], { encoding: 'utf8' });
    expect(unknown.stdout + unknown.stderr).toMatch(/unrecognized flag/);
  });
});
