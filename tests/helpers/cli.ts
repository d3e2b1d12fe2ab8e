import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { testdir } from './tmp.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'src/cli.ts');
// The child's cwd is a temp blog, so tsx is named by its absolute URL.
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export interface CliRun {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the run outlived `killAfterMs` and was killed. */
  killed: boolean;
}

/**
 * `feedletter ARGS` as a real child process in `cwd` (sources through tsx). A run that outlives
 * `killAfterMs` is killed with SIGKILL and reported as such: a hang fails the test instead of
 * blocking CI. This is a bound, not a measurement.
 */
export function runCli(cwd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; killAfterMs?: number; input?: string } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.input ?? '');
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, options.killAfterMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // 'exit' may come before the pipes are drained.
      setImmediate(() => resolve({ code, signal, stdout, stderr, killed }));
    });
  });
}

/** A temp copy of the sample blog (content, config, templates), then `extra` files written over it. */
export function sampleBlog(extra: Record<string, string> = {}): string {
  const dir = testdir();
  for (const folder of ['content', 'config', 'email-templates']) cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });
  for (const [name, content] of Object.entries(extra)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}
