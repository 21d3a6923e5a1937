/**
 * What `npm pack` ships: the built CLI (executable), README, LICENSE (MIT, as package.json says), the docs --help
 * names and the JSON Schema files, and no source maps (they would point at src/, which is not shipped). Packs the
 * dist/ that is here without running the lifecycle scripts (the test command builds first) and reads the tarball.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_FILES } from '../../src/schema-files.js';
import { packPackage, removePacked, ROOT, type Packed } from '../helpers/packed.js';

let packed: Packed | undefined;
beforeAll(() => {
  packed = packPackage({ scripts: false });
}, 30_000);
afterAll(() => removePacked(packed));

function packedFiles(): string[] {
  return packed!.entries.map((e) => e.path);
}

describe('the package', () => {
  it('the bin is executable after the build and in the tarball (mode 755), so npx and a global install run it', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(Object.keys(pkg.bin)).toEqual(['tcpprobe']);
    const bin = pkg.bin.tcpprobe!;
    expect((statSync(join(ROOT, bin)).mode & 0o777).toString(8), bin).toBe('755');
    const entry = packed!.entries.find((e) => e.path === bin);
    expect(entry?.mode.toString(8), bin).toBe('755');
    expect(readFileSync(join(ROOT, bin), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('ships the CLI, README, LICENSE and docs/fleet.md, and no source maps', () => {
    const files = packedFiles();
    for (const f of ['dist/cli/main.js', 'dist/cli/bin.cjs', 'dist/cli/bundle.cjs', 'dist/cli/bundle.cjs.cache', 'dist/index.js', 'dist/index.d.ts', 'README.md', 'LICENSE', 'docs/fleet.md', 'package.json']) expect(files, f).toContain(f);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('names its repository, homepage, issue tracker and keywords, as a registry user expects', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    const github = 'https://github.com/tcpprobe/tcpprobe';
    // The form `npm pkg fix` writes, so `npm publish` has nothing to correct.
    expect(pkg.repository).toEqual({ type: 'git', url: `git+${github}.git` });
    expect(pkg.homepage).toBe(`${github}#readme`);
    expect(pkg.bugs).toEqual({ url: `${github}/issues` });
    expect(pkg.keywords).toEqual(expect.arrayContaining(['tcp', 'connections', 'max-connections', 'load-testing']));
  });

  it('ships the user docs but not the screenshot, the bench diary or the map of src/ (no src/ is shipped)', () => {
    const files = packedFiles();
    const docs = files.filter((f) => f.startsWith('docs/')).sort();
    expect(docs).toEqual(['docs/accuracy.md', 'docs/audits.md', 'docs/cli.md', 'docs/fleet.md', 'docs/how-it-decides.md', 'docs/kubernetes.md', 'docs/native-engine.md', 'docs/schedule.md', 'docs/schema.md', 'docs/single-file.md']);
    expect(files.filter((f) => /\.(png|jpe?g|gif|svg)$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('the shipped docs/ pages link only to shipped files (images aside: the screenshot stays in the repository)', () => {
    const files = new Set(packedFiles());
    for (const doc of [...files].filter((f) => f.startsWith('docs/') && f.endsWith('.md'))) {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      const links = [...text.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)]
        .filter((m) => m[1] === '' && !/^[a-z]+:/i.test(m[2]!) && !m[2]!.startsWith('#'))
        .map((m) => posix.normalize(posix.join(posix.dirname(doc), m[2]!.replace(/#.*$/, ''))));
      for (const link of links) expect(files.has(link), `${doc} -> ${link}`).toBe(true);
    }
  });

  it('ships one JSON Schema per document, each exported as tcpprobe/schema/NAME', () => {
    const files = packedFiles();
    for (const f of SCHEMA_FILES) expect(files, f.file).toContain(`schema/${f.file}`);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./schema/*']).toBe('./schema/*');
  });

  it('"exports" names the library entry and its types, which exist', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };
    const entry = pkg.exports['.']!;
    expect(entry).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(readFileSync(join(ROOT, entry.types), 'utf8')).toMatch(/export declare function ramp\(/);
  });

  it('LICENSE is the MIT license package.json names', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });

  it('the built JavaScript points at no source map', () => {
    expect(existsSync(join(ROOT, 'dist/cli/main.js'))).toBe(true);
    const js = readdirSync(join(ROOT, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(10);
    for (const f of js) expect(readFileSync(join(ROOT, 'dist', f), 'utf8'), f).not.toContain('sourceMappingURL');
  });
});
