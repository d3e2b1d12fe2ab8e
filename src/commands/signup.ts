import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { scheduleTimeZone } from '../config/load.js';
import type { Transport } from '../delivery/transport.js';
import { encodePath } from '../feeds/document.js';
import { FeedletterError } from '../errors.js';
import type { Logger } from '../log.js';
import { describeSchedule } from '../server/schedule-text.js';
import type { SubscribeDeps } from '../server/subscribe.js';
import type { Store } from '../store/index.js';
import { checkFormStamp, createProofOfWork, makeFormStamp } from '../subscribers/defences.js';
import {
  buildSubscriberMail,
  cleanName,
  confirm,
  confirmUrl,
  createSubscriberMailer,
  ipForRecord,
  lifecycleSettings,
  inspectConfirmation,
  prune,
  resendFromToken,
  signup,
  sourceUrlForRecord,
  userAgentForRecord,
  type ConfirmationToSend,
  type SubscriberMailer,
} from '../subscribers/index.js';
import { loadWelcome } from '../subscribers/welcome.js';
import { dkimOptions } from './digest.js';

/** How long an ALTCHA challenge may take to be solved and sent. */
const CHALLENGE_TTL_MS = 20 * 60_000;
/** The daemon forgets unconfirmed addresses this often. */
export const PRUNE_EVERY_MS = 3_600_000;

let widget: Buffer | undefined;
/** The ALTCHA widget with every language, minified (about 170 KB; one ES module, no imports). */
function widgetScript(): Buffer {
  if (widget !== undefined) return widget;
  try {
    const require = createRequire(import.meta.url);
    const full = require.resolve('altcha/i18n');
    const minified = path.join(path.dirname(full), 'altcha.i18n.min.js');
    widget = readFileSync(existsSync(minified) ? minified : full);
    return widget;
  } catch (cause) {
    throw new FeedletterError('STATE_INVALID', 'the ALTCHA widget (npm package "altcha") is missing', { cause, hint: 'run npm install' });
  }
}

export interface SignupService {
  deps: SubscribeDeps;
  mailer: SubscriberMailer;
  /** Forget unconfirmed addresses past subscribe.pendingTtl. */
  prune(): { deleted: number; reverted: number };
}

/**
 * The daemon's public signup wired together: the lifecycle rules and the store, the defences,
 * and a background mailer on the delivery transport (a slow SMTP server never holds up a page).
 */
export function createSignupService(options: { resolved: ResolvedConfig; store: Store; secret: string; transport: Transport; clock: () => Date; logger: Logger }): SignupService {
  const { resolved, store, secret, clock, logger } = options;
  const { config } = resolved;
  const sub = config.subscribe;
  const settings = lifecycleSettings(config);
  const dkim = dkimOptions(resolved);
  const mailer = createSubscriberMailer({ transport: options.transport, logger });
  const record = (request: { ip: string | null; userAgent: string | null }) => ({ ip: ipForRecord(request.ip, sub.storeIp, secret), userAgent: userAgentForRecord(request.userAgent) });
  const queue = (send: ConfirmationToSend | undefined): void => {
    if (send === undefined) return;
    const now = clock();
    // A dropped or refused email frees the address's resend slot again.
    mailer.enqueue(buildSubscriberMail({ config, kind: 'confirm', subscriberId: send.subscriberId, email: send.email, url: confirmUrl(config, send.token), now, dkim }), () =>
      store.unmarkConfirmationSent(send.subscriberId, send.sentAt),
    );
  };
  const feedUrl = (file: string): string => new URL(encodePath(file), config.site.url).href;
  const feeds = { rss: feedUrl(config.feeds.rss), atom: feedUrl(config.feeds.atom), json: feedUrl(config.feeds.json) };
  // Loaded (and its Liquid checked) at start: a broken template stops the daemon, not a welcome.
  const welcome = sub.welcome ? loadWelcome(config, resolved.paths.templates, feeds) : undefined;
  const sendWelcome = (subscriberId: number, email: string): void => {
    welcome?.render(email).then(
      (html) => mailer.enqueue(buildSubscriberMail({ config, kind: 'welcome', subscriberId, email, url: config.site.url, now: clock(), dkim, html })),
      (error: unknown) => logger.error({ err: error }, 'welcome email not rendered'),
    );
  };
  const proof = createProofOfWork({ secret, maxNumber: sub.proofOfWorkMaxNumber, ttlMs: CHALLENGE_TTL_MS, spend: (id, expiresAt) => store.spendProof(id, expiresAt, clock()) });

  const deps: SubscribeDeps = {
    clock,
    frequency: describeSchedule(config.digest.schedule, config.site.language, scheduleTimeZone(config)),
    feeds,
    proofOfWork: sub.proofOfWork,
    honeypot: sub.honeypot,
    minSubmitMs: sub.minSubmitSeconds * 1000,
    perIpPerHour: sub.perIpPerHour,
    perAddressPerHour: sub.perAddressPerHour,
    trustProxy: sub.trustProxy,
    widgetScript,
    challenge: (now) => proof.challenge(now),
    verifyProof: (payload, now) => proof.verify(payload, now),
    makeStamp: (now) => makeFormStamp(secret, now),
    checkStamp: (stamp, now) => checkFormStamp(secret, stamp, now, sub.minSubmitSeconds * 1000, 24 * 3_600_000),
    signup: (input) => {
      const result = signup(
        store,
        secret,
        { email: input.email, name: input.name === null ? null : cleanName(input.name), source: 'form', sourceUrl: sourceUrlForRecord(input.sourceUrl), request: record(input.request), now: clock() },
        settings,
      );
      logger.info({ action: result.action }, 'signup');
      queue(result.send);
    },
    inspect: (token) => inspectConfirmation(store, secret, token, clock(), settings),
    confirm: (token, request) => {
      const result = confirm(store, secret, token, record(request), clock(), settings);
      logger.info({ outcome: result.outcome }, 'confirmation');
      if (result.outcome === 'confirmed' && result.subscriber) sendWelcome(result.subscriber.id, result.subscriber.email);
      return result.outcome;
    },
    resend: (token) => queue(resendFromToken(store, secret, token, clock(), settings)),
    resubscribe: (id) => {
      const subscriber = store.getSubscriber(id);
      if (subscriber === undefined) return false;
      if (subscriber.status === 'active') return true;
      if (subscriber.status !== 'unsubscribed') return false;
      store.addSubscriber(subscriber.email, null, clock(), { reactivate: true });
      return true;
    },
  };
  return { deps, mailer, prune: () => prune(store, clock(), settings) };
}
