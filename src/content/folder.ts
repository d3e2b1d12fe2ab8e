import { statSync } from 'node:fs';
import path from 'node:path';
import { FeedletterError } from '../errors.js';

/**
 * The content folder must be there before anything is read or written. Missing, it is a deploy
 * in progress (`mv content content.deploying`) or a command run from the wrong folder: either way
 * an empty blog is the wrong conclusion, and writing it would empty every feed and delete the
 * per-term ones. Checked first by every command that reads posts, so that nothing (not even the
 * state folder) is created.
 */
export function requireContentDir(contentDir: string, cwd: string): void {
  const shown = path.relative(cwd, contentDir) || '.';
  let isDir: boolean;
  try {
    isDir = statSync(contentDir).isDirectory();
  } catch (cause) {
    throw new FeedletterError('CONTENT_MISSING', `the content folder ${shown}/ (content.dir) does not exist in ${cwd}`, {
      cause,
      hint: "run feedletter in the blog's folder (the one holding config/ and the posts), or set content.dir; nothing was written",
    });
  }
  if (!isDir) throw new FeedletterError('CONTENT_MISSING', `content.dir ${shown} is not a folder`, { hint: 'set content.dir to the folder that holds _posts/; nothing was written' });
}
