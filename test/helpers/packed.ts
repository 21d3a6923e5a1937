/**
 * The package as a registry user gets it: `npm pack` into a temp folder, the tarball's entries as tar records
 * them, and the tarball installed into a temp project offline, from npm's cache.
 *
 * Offline install: `npm ci` filled the cache with every dependency's tarball but not with their registry
 * documents, which `npm install --offline <tarball>` asks for (ENOTCACHED). So the project gets a lockfile made
 * from this repository's: the tarball itself plus every entry that is not a devDependency, and `npm ci --offline`
 * installs from it as npm would from the registry, resolving nothing.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface TarEntry {
  path: string;
  /** Permission bits from the tar header (0o755 for an executable). */
  mode: number;
  size: number;
}

export interface Packed {
  /** The temp folder; remove it with removePacked. */
  dir: string;
  tarball: string;
  /** Paths without tar's "package/" prefix. */
  entries: TarEntry[];
}

/**
 * `npm pack` into a temp folder. With `scripts`, as a publisher packs: prepack (the native prebuild), prepare
 * (the build, which rewrites dist/) and postpack run. Without, the dist/ and prebuilds/ already here are packed.
 */
export function packPackage(opts: { scripts: boolean }): Packed {
  const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-packed-'));
  const args = ['pack', '--json', '--pack-destination', dir, ...(opts.scripts ? [] : ['--ignore-scripts'])];
  const out = execFileSync('npm', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
  // Lifecycle scripts print to stdout too: the JSON is the last thing npm writes.
  const [pack] = JSON.parse(out.slice(out.search(/^\[$/m))) as [{ filename: string }];
  const tarball = join(dir, pack.filename);
  return { dir, tarball, entries: tarEntries(readFileSync(tarball)) };
}

export function removePacked(p: Packed | undefined): void {
  if (p !== undefined) rmSync(p.dir, { recursive: true, force: true });
}

/** The regular files of a gzipped tarball, read from its 512-byte headers (ustar). */
export function tarEntries(tgz: Buffer): TarEntry[] {
  const tar = gunzipSync(tgz);
  const entries: TarEntry[] = [];
  const text = (at: number, len: number): string => tar.toString('utf8', at, at + len).replace(/\0.*$/s, '');
  for (let at = 0; at + 512 <= tar.length; ) {
    const name = text(at, 100);
    if (name === '') break;
    const size = parseInt(text(at + 124, 12).trim() || '0', 8);
    const prefix = text(at + 345, 155);
    const full = prefix === '' ? name : `${prefix}/${name}`;
    if (text(at + 156, 1) === '0' || text(at + 156, 1) === '') {
      entries.push({ path: full.replace(/^package\//, ''), mode: parseInt(text(at + 100, 8).trim(), 8) & 0o7777, size });
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/**
 * A temp project with the tarball installed (`npm ci --offline`, install scripts as asked: npm 11 asks before
 * running them; pnpm and bun skip them by default). Returns the project folder, inside `packed.dir`.
 */
export function installPacked(packed: Packed, opts: { ignoreScripts: boolean }): string {
  const project = join(packed.dir, 'project');
  const repoLock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const spec = `file:${packed.tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { tcpprobe: spec } },
    'node_modules/tcpprobe': {
      version: pkg.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(readFileSync(packed.tarball)).digest('base64')}`,
      license: pkg.license,
      hasInstallScript: true,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(repoLock.packages)) if (path !== '' && entry.dev !== true) packages[path] = entry;
  mkdirSync(project);
  const manifest = { name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { tcpprobe: spec } };
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
  const args = ['ci', '--offline', '--no-audit', '--no-fund', ...(opts.ignoreScripts ? ['--ignore-scripts'] : [])];
  execFileSync('npm', args, { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return project;
}
