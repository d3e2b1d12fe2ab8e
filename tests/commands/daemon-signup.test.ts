import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDaemonCommand } from '../../src/commands/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/log.js';
import { Store } from '../../src/store/index.js';
import { newNonce } from '../../src/subscribers/token.js';
import { testdir } from '../helpers/tmp.js';

describe('the daemon and the public signup', () => {
  it('forgets unconfirmed addresses past subscribe.pendingTtl when it starts, and serves /subscribe', async () => {
    const dir = testdir({ 'config/feedletter.yaml': 'site:\n  url: https://blog.example.com/\nserver:\n  port: 0\nfeeds:\n  watch: false\n' });
    mkdirSync(path.join(dir, 'content/_posts'), { recursive: true });
    const { resolved } = loadConfig({ cwd: dir, env: { FEEDLETTER_SECRET: 'daemon-signup-test-secret-0123456789' } });
    const now = new Date('2026-11-20T00:00:00Z');
    const store = Store.open(resolved.paths.state);
    const request = { ip: null, userAgent: null };
    store.insertPending({ email: 'old@example.com', name: null, source: 'form', sourceUrl: null, request, nonce: newNonce(), now: new Date(now.getTime() - 8 * 86_400_000) });
    store.insertPending({ email: 'new@example.com', name: null, source: 'form', sourceUrl: null, request, nonce: newNonce(), now: new Date(now.getTime() - 86_400_000) });
    store.close();

    const daemon = await startDaemonCommand({ resolved, clock: () => now, logger: silentLogger() });
    try {
      const check = Store.open(resolved.paths.state);
      try {
        expect(check.findSubscriber('old@example.com')).toBeUndefined();
        expect(check.findSubscriber('new@example.com')?.status).toBe('pending');
      } finally {
        check.close();
      }
      const page = await fetch(`${daemon.serverUrl}subscribe`);
      expect(page.status).toBe(200);
    } finally {
      await daemon.stop('test');
    }
  });

  it('with subscribe.enabled false there is no signup', async () => {
    const dir = testdir({ 'config/feedletter.yaml': 'server:\n  port: 0\nfeeds:\n  watch: false\nsubscribe:\n  enabled: false\n' });
    mkdirSync(path.join(dir, 'content/_posts'), { recursive: true });
    const { resolved } = loadConfig({ cwd: dir, env: { FEEDLETTER_SECRET: 'daemon-signup-test-secret-0123456789' } });
    const daemon = await startDaemonCommand({ resolved, clock: () => new Date('2026-11-20T00:00:00Z'), logger: silentLogger() });
    try {
      for (const p of ['subscribe', 'confirm', 'altcha.js', 'altcha/challenge', 'resubscribe']) expect((await fetch(`${daemon.serverUrl}${p}`)).status, p).toBe(404);
      expect((await fetch(`${daemon.serverUrl}healthz`)).status).toBe(200);
    } finally {
      await daemon.stop('test');
    }
  });
});
