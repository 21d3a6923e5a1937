/**
 * README and docs/ link only to files inside the repository, and every one of those exists; what --help and the
 * error messages point at (docs/*.md) is shipped in the package (package.json "files").
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Markdown link targets that are not web addresses or anchors in the same file. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#'))
    .map((t) => t.replace(/#.*$/, ''));
}

/** TypeScript without its block and line comments (a "//" after a colon is a URL's, not a comment). */
function withoutComments(ts: string): string {
  return ts.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('documentation links', () => {
  it.each(DOCS)('%s links only to files that exist inside the repository', (doc) => {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    for (const link of relativeLinks(text)) {
      const target = resolve(ROOT, dirname(doc), link);
      expect(relative(ROOT, target).startsWith('..'), `${doc} -> ${link} leaves the repository`).toBe(false);
      expect(existsSync(target), `${doc} -> ${link} does not exist`).toBe(true);
    }
  });

  it('every docs/*.md the source points users at exists and is shipped', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    const src = join(ROOT, 'src');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    // What a user reads (--help, error messages) is in the code, not in comments: those point developers at the
    // repository's docs, some of which (the bench diary) are not shipped.
    const code = (f: string): string => withoutComments(readFileSync(join(src, f), 'utf8'));
    const named = new Set(files.flatMap((f) => [...code(f).matchAll(/docs\/[a-z-]+\.md/g)].map((m) => m[0])));
    expect(named.size).toBeGreaterThan(0);
    for (const doc of named) {
      expect(existsSync(join(ROOT, doc)), doc).toBe(true);
      expect(pkg.files.some((f) => doc === f || doc.startsWith(`${f}/`)), `${doc} is not in package.json "files"`).toBe(true);
    }
  });
});
