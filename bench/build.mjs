// npm run bench — `feedletter build` cold and warm against the floor, at 1,000 / 10,000 /
// 100,000 posts. Usage: node bench/build.mjs [sizes...]   (default: 1000 10000 100000)
// Each figure is the median of several runs of a fresh process (node start-up included in
// both the floor and the build). Corpora are generated once into bench/.corpus/ and reused.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureCorpus } from './corpus.mjs';

const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const SIZES = sizes.length ? sizes : [1_000, 10_000, 100_000];
const ROOT = path.resolve(import.meta.dirname, '..');

function measure(args, cwd) {
  const child = spawnSync(process.execPath, [path.join(ROOT, 'bench/measure.mjs'), ...args], { cwd, stdio: ['ignore', 'ignore', 'inherit', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 20 });
  const line = (child.output[3] ?? '').trim().split('\n').pop();
  if (!line) throw new Error(`measurement failed: ${args.join(' ')} (exit ${child.status})`);
  const result = JSON.parse(line);
  if (result.code !== 0 && result.code !== 1) throw new Error(`feedletter ${args.join(' ')} exited ${result.code}`);
  return result;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`);
console.log('| posts | floor (list + 1 KB each) | cold build | cold / floor | warm build | warm / floor | peak RSS cold | peak RSS warm |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const count of SIZES) {
  const dir = path.join(ROOT, 'bench/.corpus', String(count));
  const t0 = performance.now();
  const postsDir = ensureCorpus(dir, count);
  const generated = performance.now() - t0;
  if (generated > 1000) console.error(`  (generated ${count} posts in ${(generated / 1000).toFixed(1)} s)`);
  const runs = count >= 100_000 ? 3 : 5;
  measure(['floor', postsDir], dir); // warm the page cache: both sides then read from memory
  const floor = [];
  const cold = [];
  const warm = [];
  let coldRss = 0;
  let warmRss = 0;
  for (let i = 0; i < runs; i++) {
    floor.push(measure(['floor', postsDir], dir).ms);
    rmSync(path.join(dir, '.feedletter'), { recursive: true, force: true });
    rmSync(path.join(dir, 'public'), { recursive: true, force: true });
    const c = measure(['--config', 'feedletter.yaml', 'build'], dir);
    cold.push(c.ms);
    coldRss = Math.max(coldRss, c.maxRssMb);
    const w = measure(['--config', 'feedletter.yaml', 'build'], dir);
    warm.push(w.ms);
    warmRss = Math.max(warmRss, w.maxRssMb);
  }
  const f = median(floor);
  const c = median(cold);
  const w = median(warm);
  console.log(`| ${count.toLocaleString('en')} | ${f.toFixed(0)} ms | ${c.toFixed(0)} ms | ${(c / f).toFixed(2)}× | ${w.toFixed(0)} ms | ${(w / f).toFixed(2)}× | ${coldRss.toFixed(0)} MB | ${warmRss.toFixed(0)} MB |`);
}
