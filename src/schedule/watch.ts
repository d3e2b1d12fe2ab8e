import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';

export interface WatchOptions {
  /** Quiet time after the last change before `onChange` runs: an editor saving, or a `git pull`, touches many files at once. */
  debounceMs: number;
  /** Called once per burst of changes with the changed paths (relative to the folder, forward slashes). */
  onChange: (paths: string[]) => void;
  logger?: Logger;
}

/**
 * Watch a content folder, recursively, and report bursts of changes. Editor droppings (dot
 * files such as `.post.md.swp`, backups ending in `~`) are ignored. `fs.watch` with
 * `recursive` works on Linux from Node 20 (on macOS and Windows it always did).
 */
export function watchContent(dir: string, options: WatchOptions): { close(): void } {
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const flush = (): void => {
    timer = undefined;
    if (closed || pending.size === 0) return;
    const paths = [...pending].sort();
    pending = new Set();
    try {
      options.onChange(paths);
    } catch (error) {
      options.logger?.error({ err: error }, 'content change handler failed');
    }
  };

  const watcher: FSWatcher = watch(dir, { recursive: true }, (_event, filename) => {
    if (closed) return;
    const name = filename === null ? '' : filename.toString().split(path.sep).join('/');
    if (name !== '' && ignored(name)) return;
    pending.add(name === '' ? '.' : name);
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, options.debounceMs);
  });
  watcher.on('error', (error) => options.logger?.warn({ err: error, dir }, 'watching the content folder failed; changes are picked up at the next tick'));

  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}

/**
 * Whether a change reported under `contentDir` can concern a post: not one inside a folder
 * feedletter or the generator writes into (the feeds' output folder, the state folder, the
 * outbox, `_site/` of a Jekyll site whose content folder is the site itself) nor in
 * node_modules. Without this, a content folder that holds the output folder would rebuild the
 * feeds because the feeds were written.
 */
export function concernsPosts(changed: string, contentDir: string, written: readonly string[]): boolean {
  if (changed === '.') return true;
  const absolute = path.resolve(contentDir, ...changed.split('/'));
  if (changed.split('/').includes('node_modules')) return false;
  return !written.some((folder) => absolute === folder || absolute.startsWith(`${folder}${path.sep}`));
}

function ignored(name: string): boolean {
  const base = name.split('/').pop() ?? name;
  return base.startsWith('.') || base.endsWith('~') || base.startsWith('#');
}
