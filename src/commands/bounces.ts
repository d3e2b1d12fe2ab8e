import { stat } from 'node:fs/promises';
import { classify } from '../bounces/classify.js';
import { bounceFromReport, matchBounce } from '../bounces/match.js';
import { readMessages } from '../bounces/sources.js';
import { verpLocalPart } from '../bounces/verp.js';
import type { ResolvedConfig } from '../config/schema.js';
import { loadOrCreateSecret } from '../digest/token.js';
import { FeedletterError, ioFailure } from '../errors.js';
import { Store, type BounceRecord } from '../store/index.js';
import { applyBounce, bounceSettings } from '../subscribers/bounces.js';

/** The largest message read as a possible bounce (a digest returned whole is far smaller). */
export const MAX_REPORT_BYTES = 10 * 1024 * 1024;

export interface ImportedMessage {
  origin: string;
  kind: 'hard' | 'soft' | 'complaint' | 'not-bounce' | 'unknown' | 'skipped';
  /** What it did: bounced/complained/counted/none; `duplicate` when already recorded. */
  effect?: BounceRecord['effect'] | 'duplicate';
  email?: string | undefined;
  senderProblem?: boolean;
  /** Why it changed nothing (unmatched), or why it is not a bounce / not recognised. */
  note?: string;
}

export interface BounceImportReport {
  messages: ImportedMessage[];
  counts: Record<ImportedMessage['kind'] | 'duplicate' | 'unmatched', number>;
}

/**
 * `feedletter bounces import PATH...`: every message of the .eml files, mbox files and Maildir
 * folders given is classified, matched (VERP, Message-ID, recipient) and recorded under the
 * bounce rules. Idempotent: a report read twice is recorded once (its fingerprint). Unrecognised
 * messages, unmatched reports and sender problems are listed for the owner; they change nothing.
 */
export async function importBounces(resolved: ResolvedConfig, paths: readonly string[], now: Date): Promise<BounceImportReport> {
  if (paths.length === 0) throw new FeedletterError('USAGE', 'bounces import needs at least one .eml file, mbox file or Maildir folder');
  for (const p of paths) {
    try {
      await stat(p);
    } catch (error) {
      throw ioFailure(error, `read ${p}`) ?? new FeedletterError('INPUT_INVALID', `cannot read ${p}`, { cause: error });
    }
  }
  const { config } = resolved;
  const settings = bounceSettings(config);
  const local = verpLocalPart(config.bounces.address);
  const store = Store.open(resolved.paths.state);
  const report: BounceImportReport = { messages: [], counts: { hard: 0, soft: 0, complaint: 0, 'not-bounce': 0, unknown: 0, skipped: 0, duplicate: 0, unmatched: 0 } };
  try {
    const secret = loadOrCreateSecret(resolved.paths.state, resolved.secrets.secret);
    const mailedSince = new Date(now.getTime() - settings.matchWindowMs);
    try {
      for await (const message of readMessages(paths, { maxBytes: MAX_REPORT_BYTES })) {
        if ('skipped' in message) {
          report.counts.skipped++;
          report.messages.push({ origin: message.origin, kind: 'skipped', note: message.skipped });
          continue;
        }
        const c = await classify(message.bytes, { verpLocalPart: local, maxBytes: MAX_REPORT_BYTES });
        report.counts[c.kind]++;
        if (c.kind === 'not-bounce' || c.kind === 'unknown') {
          report.messages.push({ origin: message.origin, kind: c.kind, note: c.reason });
          continue;
        }
        const match = matchBounce(c, { store, secret, mailedSince });
        const applied = applyBounce(store, bounceFromReport({ ...c, kind: c.kind }, match, { source: 'file', at: now, bytes: message.bytes }), settings);
        if (applied.duplicate) report.counts.duplicate++;
        else if (match.matchedBy === undefined) report.counts.unmatched++;
        report.messages.push({
          origin: message.origin,
          kind: c.kind,
          effect: applied.duplicate ? 'duplicate' : applied.effect,
          email: applied.subscriber?.email ?? c.recipient,
          ...(c.senderProblem === true ? { senderProblem: true } : {}),
          note: match.unmatched ?? c.diagnostic ?? c.reason,
        });
      }
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_MAILDIR') throw new FeedletterError('INPUT_INVALID', (error as Error).message, { hint: 'give .eml files, mbox files or Maildir folders (with cur/ and new/ inside)' });
      throw ioFailure(error, 'read the bounce messages') ?? error;
    }
  } finally {
    store.close();
  }
  return report;
}

export function listBounces(resolved: ResolvedConfig, since: Date | undefined): BounceRecord[] {
  const store = Store.open(resolved.paths.state);
  try {
    return store.listBounces(since === undefined ? {} : { since });
  } finally {
    store.close();
  }
}
