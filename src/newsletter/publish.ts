import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { writeFileAtomic } from '../feeds/write.js';
import type { DigestRecord, DigestSummary } from '../store/index.js';
import { digestPage } from './page.js';
import { archiveFeed, archiveIndex } from './site.js';

/**
 * Writes the newsletter archive into the output folder: the page of each complete digest that
 * has none yet (and of `fresh`, the one just sent), the index and the Atom feed, each atomically
 * and only when its bytes changed, like the feeds. A page depends on its digest alone, so pages
 * already written are not made again (a wiped output folder gets them all back); the index and
 * the feed depend on the list.
 */
export async function publishArchive(resolved: ResolvedConfig, digests: readonly DigestSummary[], load: (id: number) => DigestRecord | undefined, fresh?: number): Promise<{ written: string[]; unchanged: string[] }> {
  const { config } = resolved;
  const dir = config.digest.archiveDir.replace(/\/+$/, '');
  const sent = digests.filter((d) => d.status === 'complete');
  const fileOf = (relative: string): string => path.join(resolved.paths.output, ...relative.split('/'));
  const files: Array<[string, () => string | undefined]> = sent
    .filter((d) => d.id === fresh || !existsSync(fileOf(`${dir}/${d.id}/index.html`)))
    .map((d) => [`${dir}/${d.id}/index.html`, () => {
      const record = load(d.id);
      return record === undefined ? undefined : digestPage(config, record.html);
    }]);
  const list = sent.map((d) => ({ number: d.id, sentAt: d.createdAt, subject: d.subject, preheader: d.preheader }));
  files.push([`${dir}/index.html`, () => archiveIndex(config, list)], [`${dir}/atom.xml`, () => archiveFeed(config, list)]);
  const result = { written: [] as string[], unchanged: [] as string[] };
  for (const [relative, make] of files) {
    const content = make();
    if (content !== undefined) result[await writeFileAtomic(fileOf(relative), content)].push(relative);
  }
  return result;
}
