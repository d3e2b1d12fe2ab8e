import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full collection before it
 * collects again, in percent. V8 picks up to 300% on a machine with much memory: right for a
 * browser tab, not for a build whose live heap is 30-50 MB but which reads 100,000 posts and
 * leaves a little garbage behind each. With 30%, a cold build of 100,000 posts peaks near
 * 170 MB instead of 200 MB, in the same time (README, Performance). V8 reads this flag at every
 * full collection, so setting it after start-up takes effect.
 */
export const HEAP_GROWING_PERCENT = 30;
const FLAG = '--heap-growing-percent';

let tuned = false;

/**
 * Sets `--heap-growing-percent` for this process (its worker threads share V8's flags), once,
 * unless node was started with one (on its command line or in NODE_OPTIONS). Returns the flag
 * set, if any.
 */
export function tuneHeap(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? '', set: (flags: string) => void = setFlagsFromString): string | undefined {
  if (tuned) return undefined;
  tuned = true;
  if ([...execArgv, ...nodeOptions.split(/\s+/)].some((arg) => arg.startsWith(FLAG) || arg.startsWith('--heap_growing_percent'))) return undefined;
  const flag = `${FLAG}=${HEAP_GROWING_PERCENT}`;
  set(flag);
  return flag;
}

/** For tests: lets `tuneHeap` run again. */
export function resetTuneHeap(): void {
  tuned = false;
}
