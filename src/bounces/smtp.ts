import type { NewBounce } from '../store/index.js';
import { isMailboxFull, judge } from './classify.js';

/**
 * A delivery the SMTP server refused for its recipient alone (send.ts `onFailed`), as a bounce:
 * - permanent (5xx): hard, unless the reply says the refusal is about us (5.7.x, blocklists,
 *   policy, size: soft with senderProblem) or about a full mailbox (soft);
 * - transient (4xx) still failing after the retries: soft.
 * One record per (digest, subscriber): `--retry-failed` failing again does not count twice.
 */
export function smtpBounce(input: { digestId: number; subscriberId: number; recipient: string; permanent: boolean; reply: string; at: Date; messageId?: string }): NewBounce {
  const reply = oneLine(input.reply);
  const verdict = judge(undefined, reply, input.permanent);
  const kind: NewBounce['kind'] =
    !input.permanent || verdict.senderProblem === true || isMailboxFull(verdict.status, reply) ? 'soft' : 'hard';
  return {
    at: input.at,
    kind,
    senderProblem: verdict.senderProblem === true,
    status: verdict.status,
    diagnostic: reply === '' ? undefined : reply,
    source: 'smtp',
    recipient: input.recipient,
    messageId: input.messageId,
    digestId: input.digestId,
    subscriberId: input.subscriberId,
    matchedBy: 'smtp',
    fingerprint: `smtp:${input.digestId}:${input.subscriberId}`,
  };
}

// eslint-disable-next-line no-control-regex -- the server's words are printed by `bounces list`
const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 500);
