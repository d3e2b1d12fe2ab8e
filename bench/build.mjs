// npm run bench — `feedletter build` cold and warm against the floor (and the floor plus YAML),
// at 1,000 / 10,000 / 100,000 posts. Usage: node bench/build.mjs [sizes...]   (default: all three)
// Each figure is the median of several runs of a fresh process, timed inside it from before it
// imports feedletter (or the floor script) to the end. Corpora are generated once into
// bench/.corpus/ and reused.
//
// Every cold build writes into folders of its own (bench/.corpus/<N>/runs/), deleted only when
// every measurement is done. Deleting the last build's output just before a cold build made it
// slow for a reason outside feedletter: ext4 without a journal (as on the
// project's machine) does not reuse an inode freed in the last 60 s (360 s while its inode
// table block is dirty), and scans past every such inode on each file it creates. With the
// ~1,250 files and folders of the previous build just deleted, creating ~940 feed files took
// 0.3–1.2 s instead of about 50 ms. (So, on such a machine, let a few minutes pass between two
// benches.)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
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

/** A config for one cold-then-warm pair: the corpus's config with its own output and state folders. */
function runConfig(dir, name) {
  const folder = `runs/${name}`;
  mkdirSync(path.join(dir, 'runs'), { recursive: true });
  const base = readFileSync(path.join(dir, 'feedletter.yaml'), 'utf8');
  writeFileSync(path.join(dir, `${folder}.yaml`), `${base}output:\n  dir: ${folder}/public\nstate:\n  dir: ${folder}/state\n`);
  return `${folder}.yaml`;
}

const session = Date.now().toString(36);
const used = [];
console.log(`node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`);
console.log('| posts | floor (list + 1 KB each) | floor + YAML | cold build | cold / floor | warm build | warm / floor | peak RSS cold | peak RSS warm |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const count of SIZES) {
  const dir = path.join(ROOT, 'bench/.corpus', String(count));
  const t0 = performance.now();
  const postsDir = ensureCorpus(dir, count);
  const generated = performance.now() - t0;
  if (generated > 1000) console.error(`  (generated ${count} posts in ${(generated / 1000).toFixed(1)} s)`);
  const runs = count >= 100_000 ? 3 : 5;
  measure(['floor', postsDir], dir); // warm the page cache: both sides then read from memory
  const floor = [];
  const yaml = [];
  const cold = [];
  const warm = [];
  let coldRss = 0;
  let warmRss = 0;
  for (let i = 0; i < runs; i++) {
    floor.push(measure(['floor', postsDir], dir).ms);
    yaml.push(measure(['floor-yaml', postsDir], dir).ms);
    const config = runConfig(dir, `${session}-${i}`);
    used.push(path.join(dir, config), path.join(dir, config.replace(/\.yaml$/, '')));
    const c = measure(['--config', config, 'build'], dir);
    cold.push(c.ms);
    coldRss = Math.max(coldRss, c.maxRssMb);
    const w = measure(['--config', config, 'build'], dir);
    warm.push(w.ms);
    warmRss = Math.max(warmRss, w.maxRssMb);
  }
  const f = median(floor);
  const c = median(cold);
  const w = median(warm);
  console.log(`| ${count.toLocaleString('en')} | ${f.toFixed(0)} ms | ${median(yaml).toFixed(0)} ms | ${c.toFixed(0)} ms | ${(c / f).toFixed(2)}× | ${w.toFixed(0)} ms | ${(w / f).toFixed(2)}× | ${coldRss.toFixed(0)} MB | ${warmRss.toFixed(0)} MB |`);
}
// Only now, with every build measured: this bench's run folders (another bench may be using its own).
for (const file of used) rmSync(file, { recursive: true, force: true });
for (const runs of new Set(used.map((file) => path.dirname(file)))) {
  try {
    rmdirSync(runs); // only when no other bench's folders are left in it
  } catch {
    // not empty: another bench (or an interrupted one) still has folders there
  }
}
