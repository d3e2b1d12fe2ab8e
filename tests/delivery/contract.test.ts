import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createOutboxTransport, createSmtpTransport } from '../../src/delivery/index.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { testdir } from '../helpers/tmp.js';
import { transportContract } from './contract.js';

transportContract('smtp (real smtp-server)', async () => {
  const server = await startSmtpServer();
  const transport = createSmtpTransport({ url: server.url, maxConnections: 2, rateLimit: 0, timeouts: { connectionMs: 10_000, greetingMs: 10_000, socketMs: 10_000 } });
  return {
    transport,
    delivered: () => Promise.resolve(server.messages.map((m) => m.raw)),
    teardown: async () => {
      await transport.close();
      await server.close();
    },
  };
});

transportContract('outbox (real folder)', () => {
  const dir = path.join(testdir(), 'outbox');
  const transport = createOutboxTransport({ dir });
  return Promise.resolve({
    transport,
    delivered: () =>
      Promise.resolve(
        readdirSync(dir)
          .filter((f) => f.endsWith('.eml'))
          .sort()
          .map((f) => readFileSync(path.join(dir, f))),
      ),
    teardown: () => transport.close(),
  });
});
