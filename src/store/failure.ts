import { statSync } from 'node:fs';
import { FeedletterError } from '../errors.js';

/**
 * A database file that exists but holds no byte was truncated: a full disk, a failed restore, a
 * copy cut short. SQLite would take it for a new, empty database, and the next digest would
 * record its posts as sent to nobody. feedletter's own database is never empty for long: the
 * first thing done after creating it is switching it to WAL, which writes its 4 KB header. So a
 * 0-byte file is looked at again a moment later (another process may be creating it right now)
 * and refused if it is still empty.
 */
export function truncatedDatabase(file: string): FeedletterError | undefined {
  const size = (): number | undefined => statSync(file, { throwIfNoEntry: false })?.size;
  if (size() !== 0) return undefined;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, CREATION_GRACE_MS);
  if (size() !== 0) return undefined;
  return new FeedletterError('STATE_INVALID', `the database ${file} is empty (0 bytes): it was truncated, and its subscribers and digests are not in it`, {
    hint: `restore it from a backup ("feedletter backup" makes them; see "Backups" in the README). Only if nothing was ever sent from this state folder, delete the empty file to start afresh`,
  });
}

/** How long a 0-byte database may be another process's brand-new one (it writes its header within microseconds). */
const CREATION_GRACE_MS = 200;
