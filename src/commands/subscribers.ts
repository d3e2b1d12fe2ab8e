import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { FeedletterError, type Problem } from '../errors.js';
import { exportSubscribersCsv, importSubscribersCsv } from '../store/csv.js';
import { Store, type Subscriber } from '../store/index.js';

/** Run `fn` with the store open, and always close it. */
function withStore<T>(resolved: ResolvedConfig, fn: (store: Store) => T): T {
  const store = Store.open(resolved.paths.state);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

export function addSubscriber(resolved: ResolvedConfig, email: string, name: string | null, now: Date): { subscriber: Subscriber; created: boolean } {
  return withStore(resolved, (store) => store.addSubscriber(email, name, now));
}

export function removeSubscriber(resolved: ResolvedConfig, email: string, now: Date): boolean {
  return withStore(resolved, (store) => store.removeSubscriber(email, now));
}

export function listSubscribers(resolved: ResolvedConfig, status: Subscriber['status'] | undefined): Subscriber[] {
  return withStore(resolved, (store) => store.listSubscribers(status ? { status } : undefined));
}

export function exportSubscribers(resolved: ResolvedConfig): string {
  return withStore(resolved, (store) => exportSubscribersCsv(store.iterateSubscribers()));
}

export interface ImportResult {
  added: number;
  existing: number;
  problems: Problem[];
}

/** CSV with an `email` column and an optional `name` column. Bad rows are reported and skipped. */
export function importSubscribers(resolved: ResolvedConfig, file: string, now: Date): ImportResult {
  const full = path.resolve(resolved.cwd, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (cause) {
    throw new FeedletterError('INPUT_INVALID', `${file}: cannot read the file`, { cause, hint: 'give the path of a CSV file with an "email" column' });
  }
  const parsed = importSubscribersCsv(text);
  const problems = parsed.problems.map((problem) => ({ ...problem, file }));
  return withStore(resolved, (store) => {
    let added = 0;
    let existing = 0;
    for (const row of parsed.rows) {
      try {
        if (store.addSubscriber(row.email, row.name, now, { source: 'import' }).created) added++;
        else existing++;
      } catch (error) {
        if (!(error instanceof FeedletterError)) throw error;
        problems.push({ file, field: 'email', message: error.message, ...(error.hint ? { hint: error.hint } : {}), severity: 'error' });
      }
    }
    return { added, existing, problems };
  });
}
