/**
 * podman on this machine, for the container and kube-play tests (test/integration/kubernetes.test.ts): a
 * containers.conf of the test's own (runc, cgroupfs, its open-files limit: podman's defaults are refused by
 * CI's sandbox, /work/shared/README.md), the Debian base image made with debootstrap and kept across runs, and
 * the image built from deploy/Containerfile on it. Everything a test starts is named with its run's suffix and
 * removed by that test; the base image stays (a cold build costs about a minute, see docs/kubernetes.md).
 */
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { need, type Need } from './needs.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** What running containers here needs (root: podman's rootless mode needs user namespaces this sandbox lacks). */
export const NEEDS_PODMAN: readonly Need[] = [
  need.root,
  need.command('podman'),
  need.command('runc'),
  need.command('catatonit'),
  need.command('debootstrap'),
  // The image carries the native core this checkout built (scripts/build-image.mjs).
  need.nativeCore,
];

/**
 * The test base: Debian 12 minbase plus redis-server, so the Redis pod needs no registry either. Its tag names
 * what is in it; delete it (podman rmi) to make the next run build it afresh.
 */
export const TEST_BASE_IMAGE = 'localhost/tcpprobe-test-base:bookworm-redis';

export interface Podman {
  /** Run podman; throws with its stderr on a non-zero exit unless `allowFail`. */
  run(args: string[], opts?: { allowFail?: boolean; timeoutMs?: number }): SpawnSyncReturns<string>;
  /** The same, without blocking the event loop (a test that watches something while podman works). */
  runAsync(args: string[], timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** The environment podman runs with here (CONTAINERS_CONF). */
  env: NodeJS.ProcessEnv;
  /** A folder for the test's files; removed by `dispose`. */
  dir: string;
  dispose(): void;
}

/** A podman with the test's containers.conf; `nofile` is every container's open-files limit (soft = hard). */
export function podman(nofile: number): Podman {
  const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-podman-'));
  const conf = join(dir, 'containers.conf');
  writeFileSync(
    conf,
    [
      '[containers]',
      `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=1024:1024"]`,
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, CONTAINERS_CONF: conf };
  return {
    env,
    dir,
    run(args, opts = {}) {
      const r = spawnSync('podman', args, { env, encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20 });
      if (!opts.allowFail && r.status !== 0) {
        throw new Error(`podman ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim() || r.error?.message}`);
      }
      return r;
    },
    runAsync(args, timeoutMs = 120_000) {
      return new Promise((done) => {
        execFile('podman', args, { env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
          done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
        });
      });
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The Debian mirror apt-get uses here (so debootstrap goes where .ci/run's installs went), from the deb822 or the
 * one-line sources; null: debootstrap's default (deb.debian.org).
 */
function aptMirror(): string | null {
  const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(read('/etc/apt/sources.list.d/debian.sources'));
  if (deb822 !== null) return deb822[1]!;
  const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\s/m.exec(read('/etc/apt/sources.list'));
  return oneLine === null ? null : oneLine[1]!;
}

/**
 * The test base image: kept from an earlier run (`podman image exists`), else debootstrap (from apt's mirror) and
 * `podman import`. Returns how long it took and whether it was built.
 */
export function ensureTestBase(p: Podman): { built: boolean; ms: number } {
  const t0 = Date.now();
  if (p.run(['image', 'exists', TEST_BASE_IMAGE], { allowFail: true }).status === 0) return { built: false, ms: Date.now() - t0 };
  const rootfs = join(p.dir, 'rootfs');
  mkdirSync(rootfs);
  try {
    const mirror = aptMirror();
    const boot = spawnSync('debootstrap', ['--variant=minbase', '--include=redis-server', 'bookworm', rootfs, ...(mirror === null ? [] : [mirror])], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (boot.status !== 0) throw new Error(`debootstrap exited ${boot.status ?? boot.signal}: ${boot.stdout.slice(-2000)}${boot.stderr.slice(-2000)}`);
    const imp = spawnSync('sh', ['-c', `tar -C "${rootfs}" -c . | podman import - ${TEST_BASE_IMAGE}`], {
      env: p.env,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (imp.status !== 0) throw new Error(`podman import exited ${imp.status}: ${imp.stderr}`);
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  return { built: true, ms: Date.now() - t0 };
}

/** `npm run image`'s script on the test base, tagged `tag`. */
export function buildImage(p: Podman, tag: string): { ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-image.mjs'), '--base', TEST_BASE_IMAGE, '--tag', tag, '--engine', 'podman'], {
    env: p.env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`build-image exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return { ms: Date.now() - t0 };
}
