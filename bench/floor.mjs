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

/**
 * The floor plus what no build can skip with the parser the user chose: the YAML of every
 * front matter, parsed by gray-matter's engine (js-yaml), and nothing else (no titles, dates,
 * permalinks, feeds). What a cold build costs above it is feedletter's own work.
 */
export async function floorYaml(dir) {
  const { default: matter } = await import('gray-matter');
  const parse = matter.engines.yaml.parse;
  const buffer = Buffer.alloc(4096);
  let files = 0;
  let keys = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const fd = openSync(path.join(entry.parentPath, entry.name), 'r');
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    closeSync(fd);
    files++;
    const close = buffer.subarray(0, length).indexOf('\n---', 3);
    if (close === -1) continue;
    keys += Object.keys(parse(buffer.toString('utf8', 4, close + 1)) ?? {}).length;
  }
  return { files, keys };
}
