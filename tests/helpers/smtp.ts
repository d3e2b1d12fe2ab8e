/**
 * A real SMTP server for tests (the `smtp-server` package) on 127.0.0.1, port 0.
 *
 *   const smtp = await startSmtpServer({ onRcptTo: ({ address, attempt }) => attempt === 1 ? 451 : undefined });
 *   const transport = createSmtpTransport({ url: smtp.url, maxConnections: 2, rateLimit: 0, timeouts: { connectionMs: 5_000, greetingMs: 5_000, socketMs: 5_000 } });
 *   ...
 *   smtp.messages            // every accepted message, in order of arrival
 *   await smtp.parsed()      // the same, parsed by mailparser
 *   smtp.copiesTo('a@x.org') // accepted messages whose envelope includes that address
 *   await smtp.close()
 *
 * Options:
 * - `onRcptTo({ address, attempt, session })`: return an SMTP reply code (e.g. 451, 550) to refuse
 *   that recipient, or undefined to accept. `attempt` counts RCPT TO for that address (1-based).
 *   A `{ code, text }` reply sets the server's words too (`550 5.7.1 Relay access denied`).
 * - `onMailFrom({ address, attempt })`: the same for MAIL FROM; `attempt` counts every MAIL FROM
 *   of the server (a sending quota: `attempt > 3 ? { code: 550, text: '5.4.5 Daily user sending quota exceeded' } : undefined`).
 * - `smtputf8`: advertise SMTPUTF8 (RFC 6531). @default false, like many servers; `envelope.smtputf8`
 *   tells whether the client asked for it.
 * - `onData({ raw, envelope, attempt })`: called once the whole message is read; return a code
 *   (e.g. 451, 554) to refuse it, or undefined to accept. May be async: a promise that resolves
 *   later makes a slow server (the message is recorded in `received` before the reply).
 * - `auth`: `{ user, pass }` to require credentials (no TLS; plain AUTH is allowed over the test socket).
 * - `port`: listen on this port instead of 0 (to restart a server where a client expects it).
 *
 * `messages` holds accepted messages only; `received` every complete DATA, accepted or not
 * (useful after a client was killed before it saw the reply). Call `close()` in `afterEach`.
 * No TLS, `STARTTLS` disabled: nodemailer talks plain SMTP to it.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

export type TestReply = number | { code: number; text: string } | undefined;

export interface ReceivedMessage {
  raw: Buffer;
  envelope: { from: string; to: string[]; smtputf8?: boolean };
  /** Milliseconds (Date.now) when the last byte of DATA arrived. */
  at: number;
}

export interface TestSmtpOptions {
  onRcptTo?: (input: { address: string; attempt: number; session: SMTPServerSession }) => TestReply;
  onMailFrom?: (input: { address: string; attempt: number }) => TestReply;
  smtputf8?: boolean;
  onData?: (input: { raw: Buffer; envelope: { from: string; to: string[] }; attempt: number }) => number | undefined | Promise<number | undefined>;
  auth?: { user: string; pass: string };
  port?: number;
}

export interface TestSmtpServer {
  readonly port: number;
  /** `smtp://127.0.0.1:<port>` (with credentials when `auth` was given). */
  readonly url: string;
  readonly messages: ReceivedMessage[];
  readonly received: ReceivedMessage[];
  /** Connections opened so far. */
  readonly connections: number;
  parsed(): Promise<ParsedMail[]>;
  copiesTo(address: string): ReceivedMessage[];
  close(): Promise<void>;
}

const replyError = (code: number, text: string): Error => Object.assign(new Error(text), { responseCode: code });
const toError = (reply: TestReply, fallback: (code: number) => string): Error | null => {
  if (reply === undefined) return null;
  return typeof reply === 'number' ? replyError(reply, fallback(reply)) : replyError(reply.code, reply.text);
};

export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const messages: ReceivedMessage[] = [];
  const received: ReceivedMessage[] = [];
  const rcptAttempts = new Map<string, number>();
  let dataAttempts = 0;
  let mailAttempts = 0;
  let connections = 0;
  const server = new SMTPServer({
    authOptional: options.auth === undefined,
    allowInsecureAuth: true,
    disabledCommands: options.auth === undefined ? ['STARTTLS', 'AUTH'] : ['STARTTLS'],
    hideSMTPUTF8: options.smtputf8 !== true,
    logger: false,
    disableReverseLookup: true,
    // close() waits this long for clients to quit before dropping them (default 30 s).
    closeTimeout: 250,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (options.auth !== undefined && auth.username === options.auth.user && auth.password === options.auth.pass) {
        callback(null, { user: auth.username });
        return;
      }
      callback(replyError(535, 'Authentication credentials invalid'));
    },
    onMailFrom(address: SMTPServerAddress, _session, callback) {
      mailAttempts++;
      callback(toError(options.onMailFrom?.({ address: address.address, attempt: mailAttempts }), (code) => (code >= 500 ? 'Sender refused' : 'Try again later')));
    },
    onRcptTo(address: SMTPServerAddress, session, callback) {
      const key = address.address.toLowerCase();
      const attempt = (rcptAttempts.get(key) ?? 0) + 1;
      rcptAttempts.set(key, attempt);
      const reply = options.onRcptTo?.({ address: address.address, attempt, session });
      callback(toError(reply, (code) => (code >= 500 ? 'Mailbox unavailable' : 'Try again later')));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const envelope = {
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          smtputf8: (session.envelope as { smtpUtf8?: boolean }).smtpUtf8 === true,
        };
        const message: ReceivedMessage = { raw: Buffer.concat(chunks), envelope, at: Date.now() };
        received.push(message);
        dataAttempts++;
        Promise.resolve(options.onData?.({ raw: message.raw, envelope, attempt: dataAttempts }))
          .then((code) => {
            if (code !== undefined) {
              callback(replyError(code, code >= 500 ? 'Message refused' : 'Try again later'));
              return;
            }
            messages.push(message);
            callback(null, 'Queued');
          })
          .catch((error: unknown) => callback(error as Error));
      });
    },
  });
  server.on('error', () => {
    // A client killed mid-session resets its socket; that is what some tests do on purpose.
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  const credentials = options.auth === undefined ? '' : `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@`;
  return {
    port,
    url: `smtp://${credentials}127.0.0.1:${port}`,
    messages,
    received,
    get connections() {
      return connections;
    },
    parsed: () => Promise.all(messages.map((m) => simpleParser(m.raw))),
    copiesTo: (address) => messages.filter((m) => m.envelope.to.some((to) => to.toLowerCase() === address.toLowerCase())),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port that was free a moment ago and has nothing listening now: "the server is down". */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
