import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** How to start a worker: a script file, or (from the sources) code that loads one through tsx. */
export interface WorkerSpec {
  filename: string | URL;
  eval: boolean;
}

/**
 * The worker script `name` (src/workers/<name>.ts): `dist/workers/<name>.js` when running the
 * build (this module then sits in `dist/chunks/`), the TypeScript source through tsx when
 * running the sources (tests). Undefined when neither can be found: callers then work alone.
 */
export function workerScript(name: 'headers' | 'feeds'): WorkerSpec | undefined {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(fromSource ? `./${name}.ts` : `../workers/${name}.js`, import.meta.url);
  if (!existsSync(fileURLToPath(file))) return undefined;
  if (!fromSource) return { filename: file, eval: false };
  let api: string;
  try {
    api = import.meta.resolve('tsx/esm/api');
  } catch {
    return undefined;
  }
  return { filename: `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(file.href)}, ${JSON.stringify(import.meta.url)}))`, eval: true };
}
