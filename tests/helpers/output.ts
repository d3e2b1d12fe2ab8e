import { afterEach, beforeEach, vi } from 'vitest';

/**
 * What `main()` prints when a test runs the CLI in-process: process.stdout and process.stderr
 * are captured for every test of the file that calls this (at its top level), and emptied
 * before each. Empty one in the middle of a test with `io.stdout.length = 0`.
 */
export function captureOutput(): { readonly stdout: string[]; readonly stderr: string[] } {
  const io = { stdout: [] as string[], stderr: [] as string[] };
  const text = (chunk: string | Uint8Array): string => (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
  beforeEach(() => {
    io.stdout.length = 0;
    io.stderr.length = 0;
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => io.stdout.push(text(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => io.stderr.push(text(chunk)) > 0);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return io;
}
