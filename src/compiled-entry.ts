/**
 * Where the compiled file of a module started in a child process (or a worker thread) is. Children run
 * JavaScript only: from dist/ the entry is the caller's sibling; under vitest the caller is TypeScript source
 * (src/FOLDER/*.ts), which a forked Node 20 cannot run, so the copy in dist/FOLDER/ is used (the test command
 * builds first). Either way the child and its parent come from the same build.
 */
import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @param callerUrl the caller's `import.meta.url`
 * @param file the entry's file name next to the caller, e.g. "worker-main.js"
 * @param what names the entry in the error thrown when it has not been built
 * @returns the entry's path
 */
export function compiledEntry(callerUrl: string, file: string, what: string): string {
  const sibling = new URL(`./${file}`, callerUrl);
  if (!callerUrl.endsWith('.ts')) return fileURLToPath(sibling);
  const folder = basename(dirname(fileURLToPath(callerUrl)));
  const compiled = fileURLToPath(new URL(`../../dist/${folder}/${file}`, callerUrl));
  if (existsSync(compiled)) return compiled;
  throw new Error(`${what} not built: run \`npm run build\` first`);
}
