import { createHash } from 'node:crypto';
import type { BounceMatch, BounceSource, NewBounce, Store } from '../store/index.js';
import type { Classification } from './classify.js';
import { verifyVerpToken } from './verp.js';

export interface MatchContext {
  store: Store;
  /** The state's HMAC secret (VERP tokens are signed with it under their own purpose). */
  secret: string;
  /** A report naming only an address matches if that address was sent a digest since then. */
  mailedSince: Date;
}

export interface Match {
  digestId?: number;
  subscriberId?: number;
  matchedBy?: BounceMatch;
  /** Why it did not match (for the report), when it did not. */
  unmatched?: string;
}

/**
 * Whose bounce is it? In order of trust:
 * 1. the VERP token (signed by us): names the delivery. A token that is there but not ours is a
 *    forgery (or a mangled one): unmatched, nothing else tried;
 * 2. the returned message's Message-ID, if it is one we stored for a delivery we made;
 * 3. the recipient address, only if we sent that address a digest recently (`mailedSince`).
 * Otherwise unmatched: recorded, reported, nothing changed (a forged report must not be able
 * to remove arbitrary subscribers).
 */
export function matchBounce(c: Pick<Classification, 'verpToken' | 'messageId' | 'recipient'>, ctx: MatchContext): Match {
  const { store } = ctx;
  if (c.verpToken !== undefined) {
    const named = verifyVerpToken(ctx.secret, c.verpToken);
    if (named === undefined || !store.hasDelivery(named.digestId, named.subscriberId)) return { unmatched: 'a VERP token that is not ours (forged or mangled)' };
    return { ...named, matchedBy: 'verp' };
  }
  if (c.messageId !== undefined) {
    const delivery = store.deliveryByMessageId(c.messageId);
    if (delivery !== undefined) return { ...delivery, matchedBy: 'message-id' };
  }
  if (c.recipient !== undefined) {
    const subscriber = store.findSubscriber(c.recipient);
    const digestId = subscriber === undefined ? undefined : store.lastDigestSentTo(subscriber.id, ctx.mailedSince);
    if (subscriber !== undefined && digestId !== undefined) return { digestId, subscriberId: subscriber.id, matchedBy: 'recipient' };
    return { unmatched: `${c.recipient} was not sent a digest within bounces.matchWindow` };
  }
  return { unmatched: 'the report names no token, Message-ID or recipient of ours' };
}

/**
 * The record of a classified report. Fingerprint: the report's own Message-ID with the recipient
 * and kind when it has one (a second copy of the same report counts once), else the bytes.
 */
export function bounceFromReport(c: Classification & { kind: NewBounce['kind'] }, match: Match, input: { source: BounceSource; at: Date; bytes: Uint8Array }): NewBounce {
  const fingerprint =
    c.reportId !== undefined
      ? `report:${createHash('sha256').update(`${c.reportId}\n${c.recipient ?? ''}\n${c.kind}`).digest('hex')}`
      : `bytes:${createHash('sha256').update(input.bytes).digest('hex')}`;
  return {
    at: input.at,
    kind: c.kind,
    senderProblem: c.senderProblem === true,
    status: c.status,
    diagnostic: c.diagnostic,
    source: input.source,
    recipient: c.recipient,
    messageId: c.messageId,
    digestId: match.digestId,
    subscriberId: match.subscriberId,
    matchedBy: match.matchedBy,
    fingerprint,
  };
}
