import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { writeFileAtomic } from '../feeds/write.js';
import type { DigestRecord } from '../store/index.js';
import { digestPage } from './page.js';
import { archiveFeed, archiveIndex } from './site.js';

/**
 * Writes the newsletter archive into the output folder: one page per complete digest, the index
 * and the Atom feed, each atomically and only when its bytes changed, like the feeds.
 * Deterministic: a page depends on its digest alone, the index and feed on the list.
 */
export async function publishArchive(resolved: ResolvedConfig, digests: readonly DigestRecord[]): Promise<{ written: string[]; unchanged: string[] }> {
  const { config } = resolved;
  const dir = config.digest.archiveDir.replace(/\/+$/, '');
  const sent = digests.filter((d) => d.status === 'complete');
  const files: Array<[string, string]> = sent.map((d) => [`${dir}/${d.id}/index.html`, digestPage(config, d.html)]);
  const list = sent.map((d) => ({ number: d.id, sentAt: d.createdAt, subject: d.subject, preheader: d.preheader }));
  files.push([`${dir}/index.html`, archiveIndex(config, list)], [`${dir}/atom.xml`, archiveFeed(config, list)]);
  const result = { written: [] as string[], unchanged: [] as string[] };
  for (const [relative, content] of files) {
    result[await writeFileAtomic(path.join(resolved.paths.output, ...relative.split('/')), content)].push(relative);
  }
  return result;
}
