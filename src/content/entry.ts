import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Intern } from './header.js';
import { readHeader, type FileEntry } from './read.js';

/**
 * One post file's entry, whatever happens: a file that cannot be read (permissions, removed
 * since it was listed) becomes an entry with a problem, never an exception. Used by the scan on
 * the main thread and by the header workers alike.
 */
export function readFileEntry(contentDir: string, sourcePath: string, config: Config, intern?: Intern): FileEntry {
  try {
    return readHeader(path.join(contentDir, sourcePath), sourcePath, config, intern);
  } catch (error) {
    return { sourcePath, size: -1, mtimeMs: -1, header: undefined, draft: false, problems: [{ message: `could not be read: ${(error as Error).message}`, hint: "check the file's permissions; if it reads fine, this is a feedletter bug worth reporting", severity: 'error' }] };
  }
}
