import type { ResolvedConfig } from '../config/schema.js';
import { loadOrCreateSecret, verifyToken } from '../digest/token.js';
import { FeedletterError } from '../errors.js';
import { Store } from '../store/index.js';

const DAY_MS = 86_400_000;

/**
 * Honour an unsubscribe token (the one in every digest's links). The daemon's HTTP server does
 * the same for one-click requests; this command is for tokens that reach the owner by mail.
 */
export function unsubscribeToken(resolved: ResolvedConfig, token: string, now: Date): { email: string } {
  const secret = loadOrCreateSecret(resolved.paths.state, resolved.secrets.secret);
  const verdict = verifyToken(secret, token.trim(), now, resolved.config.server.tokenMaxAgeDays * DAY_MS);
  if (!verdict.ok) {
    throw new FeedletterError('INPUT_INVALID', `the unsubscribe token is ${verdict.reason}`, {
      hint: verdict.reason === 'forged' ? 'it was not signed with this blog\'s secret (FEEDLETTER_SECRET or .feedletter/secret)' : 'copy the whole token= value from the link',
    });
  }
  const store = Store.open(resolved.paths.state);
  try {
    const subscriber = store.getSubscriber(verdict.subscriberId);
    if (!subscriber) throw new FeedletterError('INPUT_INVALID', `no subscriber #${verdict.subscriberId}`, { hint: 'the subscriber may have been deleted from the database' });
    store.unsubscribeById(subscriber.id, now);
    return { email: subscriber.email };
  } finally {
    store.close();
  }
}
