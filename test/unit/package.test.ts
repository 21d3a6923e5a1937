/**
 * What `npm pack` ships: the built CLI, README, LICENSE (MIT, as package.json says), the docs --help names and
 * the JSON Schema files, and no source maps (they would point at src/, which is not shipped). Reads the file list
 * without running the prepare script (the test command builds first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILES } from '../../src/schema-files.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [pack] = JSON.parse(out) as [{ files: { path: string }[] }];
  return pack.files.map((f) => f.path);
}

describe('the package', () => {
  it('ships the CLI, README, LICENSE and docs/fleet.md, and no source maps', () => {
    const files = packedFiles();
    for (const f of ['dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'README.md', 'LICENSE', 'docs/fleet.md', 'package.json']) expect(files, f).toContain(f);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  }, 30_000);

  it('ships one JSON Schema per document, each exported as tcpprobe/schema/NAME', () => {
    const files = packedFiles();
    for (const f of SCHEMA_FILES) expect(files, f.file).toContain(`schema/${f.file}`);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./schema/*']).toBe('./schema/*');
  }, 30_000);

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
