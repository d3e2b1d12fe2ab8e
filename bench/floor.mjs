// The floor a build is measured against: list the folder and read the first kilobyte of every
// file, nothing else. Any build must at least do this much to learn which posts are newest.
import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import path from 'node:path';

export function floor(dir) {
  const buffer = Buffer.alloc(1024);
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const fd = openSync(path.join(entry.parentPath, entry.name), 'r');
    bytes += readSync(fd, buffer, 0, 1024, 0);
    closeSync(fd);
    files++;
  }
  return { files, bytes };
}
