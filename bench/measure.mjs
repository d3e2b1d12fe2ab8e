// Runs one command of the real CLI (dist/cli.js) in this process and reports its wall time
// and peak RSS on fd 3, so the parent can measure a child without external tools.
import { writeSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const started = performance.now();
let code = 0;
if (args[0] === 'floor' || args[0] === 'floor-yaml') {
  const { floor, floorYaml } = await import(pathToFileURL(path.resolve(import.meta.dirname, 'floor.mjs')).href);
  if (args[0] === 'floor') floor(args[1]);
  else await floorYaml(args[1]);
} else {
  const { main } = await import(pathToFileURL(path.resolve(import.meta.dirname, '../dist/cli.js')).href);
  code = await main(args);
}
const ms = performance.now() - started;
writeSync(3, JSON.stringify({ code, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
