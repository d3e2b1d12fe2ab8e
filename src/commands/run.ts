import { build, type BuildOptions, type BuildResult } from './build.js';
import { digest, type DigestOptions, type DigestOutcome } from './digest.js';

/**
 * `feedletter run`, the main job (and `npm start`): build the feeds, then send the digest. The
 * digest still goes out when some posts were skipped: one bad post never stops the others.
 */
export async function run(options: BuildOptions & DigestOptions): Promise<{ build: BuildResult; digest: DigestOutcome }> {
  const built = await build(options);
  const sent = await digest(options);
  return { build: built, digest: sent };
}
