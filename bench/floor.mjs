// The floor a build is measured against: list the folder and read the first kilobyte of every
// file, nothing else. Any build must at least do this much to learn which posts are newest.
import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Calls `visit(buffer, length)` with the first `size` bytes of every file under `dir`. */
function eachHead(dir, size, visit) {
  const buffer = Buffer.alloc(size);
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const fd = openSync(path.join(entry.parentPath, entry.name), 'r');
    const length = readSync(fd, buffer, 0, size, 0);
    closeSync(fd);
    visit(buffer, length);
  }
}

export function floor(dir) {
  let files = 0;
  let bytes = 0;
  eachHead(dir, 1024, (_, length) => {
    files++;
    bytes += length;
  });
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
  let files = 0;
  let keys = 0;
  eachHead(dir, 4096, (buffer, length) => {
    files++;
    const close = buffer.subarray(0, length).indexOf('\n---', 3);
    if (close !== -1) keys += Object.keys(parse(buffer.toString('utf8', 4, close + 1)) ?? {}).length;
  });
  return { files, keys };
}
