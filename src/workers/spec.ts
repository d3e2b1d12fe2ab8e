import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** How to start a worker: a script file, or (from the sources) code that loads one through tsx. */
export interface WorkerSpec {
  filename: string | URL;
  eval: boolean;
}

/**
 * The worker script `name` (src/workers/<name>.ts): `dist/workers/<name>.js` when running the
 * build (this module then sits in `dist/chunks/`, or in `dist/` should the bundler put it in the
 * entry), the TypeScript source through tsx when running the sources (tests). Undefined when
 * none can be found: callers then work alone.
 */
export function workerScript(name: 'headers' | 'feeds'): WorkerSpec | undefined {
  const fromSource = import.meta.url.endsWith('.ts');
  const candidates = fromSource ? [`./${name}.ts`] : [`../workers/${name}.js`, `./workers/${name}.js`];
  const file = candidates.map((relative) => new URL(relative, import.meta.url)).find((url) => existsSync(fileURLToPath(url)));
  if (file === undefined) return undefined;
  if (!fromSource) return { filename: file, eval: false };
  let api: string;
  try {
    api = import.meta.resolve('tsx/esm/api');
  } catch {
    return undefined;
  }
  return { filename: `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(file.href)}, ${JSON.stringify(import.meta.url)}))`, eval: true };
}
