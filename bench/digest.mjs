// npm run bench:digest — one digest of the sample blog to 1,000 / 10,000 / 100,000 subscribers
// through a local SMTP sink (a separate process that discards), with the real CLI.
// Reports messages per second (whole command: compile + send), the per-subscriber
// personalisation cost (measured in-process over the compiled digest) and peak RSS.
// Usage: node --import tsx bench/digest.mjs [sizes...]   (npm run bench:digest)
// The digest command runs the built CLI (dist/, a bundle); the in-process parts (seeding the
// store, timing the personaliser) import the sources through tsx.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '..');
const sizes = process.argv.slice(2).map(Number).filter(Boolean);
const SIZES = sizes.length ? sizes : [1_000, 10_000, 100_000];
const source = (p) => import(pathToFileURL(path.join(ROOT, 'src', p)).href);

async function startSink() {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/smtp-sink.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  return { port, stop: () => new Promise((resolve) => { child.stdout.on('data', (d) => resolve(String(d).trim())); child.kill('SIGTERM'); }) };
}

function blog() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'feedletter-bench-digest-'));
  for (const folder of ['content', 'email-templates']) cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });
  writeFileSync(
    path.join(dir, 'feedletter.yaml'),
    ['site:', '  title: ALLFORCES', '  url: https://allforces.example.jp/', '  language: ja', '  timezone: Asia/Tokyo', 'content:', '  endMarker: "---END---"', 'digest:', '  firstRunLookback: all', 'smtp:', '  maxConnections: 4', '  rateLimit: 5000', ''].join('\n'),
  );
  return dir;
}

async function personalisationCost() {
  const { loadConfig } = await source('config/load.ts');
  const { readPosts, renderPosts } = await source('content/index.ts');
  const { compileDigest, preparePersonaliser } = await source('digest/render.ts');
  const dir = blog();
  const { resolved } = loadConfig({ cwd: dir, configFile: 'feedletter.yaml', env: {} });
  const now = new Date('2026-02-01T00:00:00Z');
  const { headers } = await readPosts({ config: resolved.config, contentDir: resolved.paths.content, now });
  const { posts } = await renderPosts(headers, { config: resolved.config, contentDir: resolved.paths.content });
  const compiled = await compileDigest({ config: resolved.config, templatesDir: resolved.paths.templates, posts, now });
  const personalise = preparePersonaliser(compiled);
  const n = 100_000;
  for (let i = 0; i < 1000; i++) personalise({ name: `読者${i}`, email: `r${i}@example.com`, unsubscribeUrl: `https://allforces.example.jp/newsletter/unsubscribe?token=${i}` });
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += personalise({ name: `読者${i}`, email: `r${i}@example.com`, unsubscribeUrl: `https://allforces.example.jp/newsletter/unsubscribe?token=${i}` }).html.length;
  const us = ((performance.now() - t0) * 1000) / n;
  rmSync(dir, { recursive: true, force: true });
  return { us, htmlKb: bytes / n / 1024 };
}

const cost = await personalisationCost();
console.log(`node ${process.version}, ${os.cpus().length} cores`);
console.log(`personalisation: ${cost.us.toFixed(1)} µs per subscriber (HTML ${cost.htmlKb.toFixed(1)} KB)`);
console.log('| subscribers | whole digest command | messages/s | peak RSS | sink received |');
console.log('|---:|---:|---:|---:|---:|');

const { Store } = await source('store/index.ts');
for (const count of SIZES) {
  const dir = blog();
  const store = Store.open(path.join(dir, '.feedletter'));
  const now = new Date('2026-01-20T00:00:00Z');
  for (let i = 0; i < count; i++) store.addSubscriber(`reader${i}@example.com`, i % 3 ? `読者 ${i}` : null, now);
  store.close();
  const sink = await startSink();
  const child = spawnSync(process.execPath, [path.join(ROOT, 'bench/measure.mjs'), '--config', 'feedletter.yaml', 'digest'], {
    cwd: dir,
    env: { ...process.env, SMTP_URL: `smtp://127.0.0.1:${sink.port}`, FEEDLETTER_SECRET: 'bench' },
    stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  const received = await sink.stop();
  const result = JSON.parse(String(child.output[3]).trim().split('\n').pop());
  console.log(`| ${count.toLocaleString('en')} | ${(result.ms / 1000).toFixed(1)} s | ${((count / result.ms) * 1000).toFixed(0)} | ${result.maxRssMb.toFixed(0)} MB | ${received} |`);
  rmSync(dir, { recursive: true, force: true });
}
