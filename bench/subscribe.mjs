// npm run bench:subscribe — POST /subscribe on loopback against the built daemon (dist/), with
// confirmation emails going to a local SMTP sink (a separate process that discards).
//   1. with the ALTCHA proof of work (every request carries its own solved challenge, solved
//      beforehand: what is measured is the server's verification, not the browser's work);
//   2. without it, 100,000 signups of different addresses: requests per second, and the daemon's
//      resident memory before and after.
// Rate limits are raised for the run (perIpPerHour, perAddressPerHour), minSubmitSeconds is 0.
// Usage: npm run bench:subscribe [-- SIGNUPS [POW_SIGNUPS]]
import { spawn } from 'node:child_process';
import { URLSearchParams } from 'node:url';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import autocannon from 'autocannon';

const { fetch } = globalThis;

const ROOT = path.resolve(import.meta.dirname, '..');
const [SIGNUPS = 100_000, POW_SIGNUPS = 3_000] = process.argv.slice(2).map(Number).filter(Boolean);
const CONNECTIONS = 10;

const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

async function startSink() {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/smtp-sink.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
  return { port, stop: () => new Promise((resolve) => { child.stdout.on('data', (d) => resolve(String(d).trim())); child.kill('SIGTERM'); }) };
}

async function startDaemon(smtpPort, proofOfWork) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'feedletter-bench-subscribe-'));
  mkdirSync(path.join(dir, 'content/_posts'), { recursive: true });
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'feedletter.yaml'),
    [
      'site:', '  title: Bench', '  url: https://blog.example.com/', '  language: ja',
      'feeds:', '  watch: false',
      'smtp:', '  maxConnections: 4', '  rateLimit: 5000',
      'server:', `  port: ${port}`,
      'subscribe:', `  proofOfWork: ${proofOfWork}`, '  proofOfWorkMaxNumber: 1000', '  minSubmitSeconds: 0',
      '  perIpPerHour: 100000000', '  perAddressPerHour: 100000000', '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), '--config', 'feedletter.yaml', 'daemon'], {
    cwd: dir,
    env: { PATH: process.env.PATH, SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, FEEDLETTER_SECRET: 'bench-secret-0123456789abcdef0123456789', FEEDLETTER_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let warnings = 0;
  child.stderr.on('data', (d) => (warnings += String(d).split('\n').filter((l) => l.includes('dropped')).length));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    if (await fetch(`${url}healthz`).then((r) => r.ok, () => false)) break;
    if (i > 200) throw new Error('the daemon did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const stop = async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, rss, stop, dropped: () => warnings };
}

function run(url, amount, bodyOf) {
  let i = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}subscribe`,
        connections: CONNECTIONS,
        amount,
        requests: [{ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, setupRequest: (req) => ({ ...req, body: bodyOf(i++) }) }],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

const report = (label, result) =>
  console.log(`${label}: ${result.requests.average.toFixed(0)} req/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result['2xx']} 2xx, ${result.non2xx} other`);

const sink = await startSink();
console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${CONNECTIONS} connections on loopback`);

// 1. with proof of work
{
  const daemon = await startDaemon(sink.port, true);
  const started = Date.now();
  const payloads = [];
  for (let i = 0; i < POW_SIGNUPS; i++) {
    const challenge = await (await fetch(`${daemon.url}altcha/challenge`)).json();
    const solution = await solveChallenge({ challenge, deriveKey });
    payloads.push(Buffer.from(JSON.stringify({ challenge, solution })).toString('base64'));
  }
  console.log(`(solved ${POW_SIGNUPS} challenges in ${((Date.now() - started) / 1000).toFixed(1)} s beforehand)`);
  const result = await run(daemon.url, POW_SIGNUPS, (i) => new URLSearchParams({ email: `pow${i}@example.com`, altcha: payloads[i] ?? '' }).toString());
  report(`POST /subscribe with proof of work, ${POW_SIGNUPS} signups`, result);
  await daemon.stop();
}

// 2. without: many signups, memory before and after
{
  const daemon = await startDaemon(sink.port, false);
  await run(daemon.url, 500, (i) => `email=warm${i}%40example.com`);
  const before = daemon.rss();
  const result = await run(daemon.url, SIGNUPS, (i) => `email=reader${i}%40example.com&name=Reader`);
  report(`POST /subscribe without proof of work, ${SIGNUPS} signups`, result);
  await new Promise((r) => setTimeout(r, 2_000));
  console.log(`daemon RSS: ${before.toFixed(0)} MB after start (and 500 warm-up signups), ${daemon.rss().toFixed(0)} MB after ${SIGNUPS} more; ${daemon.dropped()} confirmation emails dropped by the full queue`);
  await daemon.stop();
}
console.log(`SMTP sink: ${await sink.stop()}`);
