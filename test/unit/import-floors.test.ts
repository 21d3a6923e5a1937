/**
 * Imports flow down: every relative import of a file in src/ is allowed by the table in docs/architecture.md
 * ("What each folder may import"), and the table itself has no circle, so it cannot be "fixed" by allowing an
 * import back up. The basement (errors.ts, version.ts, compiled-entry.ts, single-file.ts) and a folder's own files are always
 * allowed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');
const BASEMENT = new Set(['errors.ts', 'version.ts', 'compiled-entry.ts', 'single-file.ts']);

/** Folder (or `index.ts`) -> what it may import: folder names, or `folder/file` for one file of a folder. */
export function readFloorTable(markdown: string): Map<string, string[] | 'everything'> {
  const table = new Map<string, string[] | 'everything'>();
  for (const line of markdown.split('\n')) {
    const row = /^\| `([a-z-]+)\/?(\.ts)?`(?:, `[a-z-]+\/`)? \| ([^|]+) \|/.exec(line);
    if (row === null) continue;
    const name = row[2] === undefined ? row[1]! : `${row[1]}.ts`;
    const cell = row[3]!.trim();
    table.set(
      name,
      cell === 'everything' ? 'everything' : cell === 'nothing' ? [] : cell.split(',').map((t) => t.trim().replace(/`/g, '')),
    );
  }
  return table;
}

/** The relative import specifiers of a module (static, `export ... from` and `import()`). */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?\sfrom\s+'(\.{1,2}\/[^']+)'/g)) found.push(m[1]!);
  for (const m of source.matchAll(/(?:^|\n)\s*import\s+'(\.{1,2}\/[^']+)'/g)) found.push(m[1]!);
  for (const m of source.matchAll(/\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) found.push(m[1]!);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** `cli`, `engine`, ... for a file in a folder of src/; the file name for one at the top (index.ts, errors.ts). */
function floorOf(pathInSrc: string): string {
  return pathInSrc.split('/')[0]!;
}

/** Every import the table does not allow, as "src/FROM -> src/TO.ts"; `files` maps paths in src/ to their text. */
export function floorViolations(files: ReadonlyMap<string, string>, table: Map<string, string[] | 'everything'>): string[] {
  const wrong: string[] = [];
  for (const [from, source] of files) {
    const floor = floorOf(from);
    const allowed = table.get(floor);
    for (const spec of importSpecifiers(source)) {
      const target = posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '');
      const targetFloor = floorOf(target);
      if (targetFloor === floor || BASEMENT.has(`${target}.ts`) || allowed === 'everything') continue;
      const ok = allowed !== undefined && (allowed.includes(targetFloor) || allowed.includes(target));
      if (!ok) wrong.push(`src/${from} -> src/${target}.ts`);
    }
  }
  return wrong;
}

const table = readFloorTable(readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8'));

describe('import floors (docs/architecture.md)', () => {
  it('reads a row for every folder of src/ and for every top-level file above the basement (index.ts, ...)', () => {
    const entries = readdirSync(SRC, { withFileTypes: true });
    const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    const topFiles = entries.filter((e) => e.isFile() && e.name.endsWith('.ts') && !BASEMENT.has(e.name)).map((e) => e.name);
    expect(topFiles).toContain('index.ts');
    expect([...table.keys()].sort()).toEqual([...folders, ...topFiles].sort());
  });

  it('finds every kind of import specifier', () => {
    const src = [
      "import a from './a.js';",
      "import type { B } from '../b/b.js';",
      "export { C } from './c.js';",
      "import './side-effect.js';",
      "const d = await import('../d/d.js');",
      "import x from 'node:fs';",
    ].join('\n');
    expect(importSpecifiers(src)).toEqual(['./a.js', '../b/b.js', './c.js', './side-effect.js', '../d/d.js']);
  });

  it('no import of src/ runs up a floor or sideways where the table does not allow it', () => {
    const files = new Map(sourceFiles(SRC).map((f) => [relative(SRC, f).split('\\').join('/'), readFileSync(f, 'utf8')]));
    expect(files.size).toBeGreaterThan(100);
    expect(floorViolations(files, table)).toEqual([]);
  });

  it('commander is imported only in cli/, and ioredis only in fleet/redis-client.ts', () => {
    const importers = (pkg: string): string[] =>
      sourceFiles(SRC)
        .filter((f) => new RegExp(`from '${pkg}'`).test(readFileSync(f, 'utf8')))
        .map((f) => relative(SRC, f).split('\\').join('/'));
    const commander = importers('commander');
    expect(commander.length).toBeGreaterThan(0);
    expect(commander.filter((f) => !f.startsWith('cli/'))).toEqual([]);
    expect(importers('ioredis')).toEqual(['fleet/redis-client.ts']);
  });

  it('only the run floor builds the result: one author writes the document, judges it and imports its writer', () => {
    const files = new Map(sourceFiles(SRC).map((f) => [relative(SRC, f).split('\\').join('/'), readFileSync(f, 'utf8')]));
    const writing = [...files].filter(([, src]) => /schemaVersion:\s*RESULT_SCHEMA_VERSION/.test(src)).map(([f]) => f);
    expect(writing).toEqual(['run/result.ts']);
    const judging = [...files].filter(([, src]) => /\bwithExitCode\(/.test(src)).map(([f]) => f).sort();
    expect(judging).toEqual(['run/result.ts']);
    const importers = [...files]
      .filter(([f, src]) => !f.startsWith('run/') && importSpecifiers(src).some((s) => /(^|\/)run\/result\.js$/.test(s)))
      .map(([f]) => f);
    expect(importers).toEqual([]);
  });

  it('src/index.ts, the library, imports nothing from cli/', () => {
    const specs = importSpecifiers(readFileSync(join(SRC, 'index.ts'), 'utf8'));
    expect(specs.length).toBeGreaterThan(0);
    expect(specs.filter((s) => s.startsWith('./cli/'))).toEqual([]);
  });

  it('the table has no circle: its arrows all point one way', () => {
    const edges = new Map<string, string[]>();
    for (const [name, allowed] of table) {
      if (allowed === 'everything') continue;
      edges.set(name, allowed.map((a) => a.split('/')[0]!));
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const circle: string[] = [];
    const visit = (n: string, path: string[]): void => {
      if (state.get(n) === 'done') return;
      if (state.get(n) === 'visiting') {
        circle.push([...path, n].join(' -> '));
        return;
      }
      state.set(n, 'visiting');
      for (const m of edges.get(n) ?? []) visit(m, [...path, n]);
      state.set(n, 'done');
    };
    for (const n of edges.keys()) visit(n, []);
    expect(circle).toEqual([]);
  });

  it('catches an import that runs back up', () => {
    const files = new Map([
      ['metrics/result.ts', "import type { PoolCounters } from '../engine/connection-pool.js';\nimport { x } from '../types/pool-counters.js';"],
      ['config/units.ts', "import { UsageError } from '../errors.js';\nimport { a } from './validator.js';"],
      ['types/pool-config.ts', "const m = await import('../cli/main.js');"],
    ]);
    expect(floorViolations(files, table)).toEqual([
      'src/metrics/result.ts -> src/engine/connection-pool.ts',
      'src/types/pool-config.ts -> src/cli/main.ts',
    ]);
  });

  it('a file-level allowance (folder/file) admits only that file', () => {
    const files = new Map([['a/x.ts', "import { h } from '../b/one.js';\nimport { r } from '../b/two.js';"]]);
    expect(floorViolations(files, new Map([['a', ['b/one']]]))).toEqual(['src/a/x.ts -> src/b/two.ts']);
  });
});
