/**
 * What a test needs from this machine, declared in one place. A missing need is a visible skip that names the
 * package (or step) that brings it, on a developer machine; under CI=true (where .ci/run installs everything) it
 * is a failure. Every skip goes through here: test/helpers/skip-reporter.ts counts them at the end of the run and
 * fails the run on any skip that did not.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, it, type TestContext } from 'vitest';

/** One thing a test needs, and how a person gets it. */
export interface Need {
  /** What is missing, in a few words: "iptables", "root", "the native core". */
  readonly name: string;
  /** The one step that brings it: "apt-get install -y iptables". */
  readonly remedy: string;
  /** Whether this machine has it (checked once, on first use). */
  readonly present: () => boolean;
}

function once(check: () => boolean): () => boolean {
  let known: boolean | undefined;
  return () => (known ??= check());
}

function haveCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const isRoot = once(() => process.getuid?.() === 0);

/** The needs a test can declare. */
export const need = {
  root: { name: 'root', remedy: 'run the tests as root (CI does)', present: isRoot } satisfies Need,
  /** A fresh network namespace (`unshare -n`): root, and a sandbox that allows it. */
  netns: {
    name: 'network namespaces',
    remedy: 'run the tests as root where `unshare -n` is allowed (CI does)',
    present: once(() => isRoot() && spawnSync('unshare', ['-n', '-m', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0),
  } satisfies Need,
  /** A program on PATH, from a Debian package. */
  command(cmd: string, pkg: string = cmd): Need {
    return { name: cmd, remedy: `apt-get install -y ${pkg}`, present: once(() => haveCommand(cmd)) };
  },
  /** A file a Debian package installs (a module, a stock config). */
  file(path: string, pkg: string): Need {
    return { name: path, remedy: `apt-get install -y ${pkg}`, present: once(() => existsSync(path)) };
  },
  compiler: {
    name: 'a C compiler and make',
    remedy: 'apt-get install -y build-essential',
    present: once(() => haveCommand('cc') && haveCommand('make')),
  } satisfies Need,
  /** The native socket core, built at install (npm ci) where a compiler is present. */
  nativeCore: {
    name: 'the native core',
    remedy: 'apt-get install -y build-essential && npm run build:native',
    present: once(() => {
      try {
        createRequire(import.meta.url)('node-gyp-build')(REPO_ROOT);
        return true;
      } catch {
        return false;
      }
    }),
  } satisfies Need,
  ipv6: {
    name: 'IPv6 on loopback (::1)',
    remedy: 'enable IPv6 (sysctl net.ipv6.conf.lo.disable_ipv6=0)',
    present: once(() => spawnSync('sh', ['-c', 'ip -6 addr show dev lo | grep -q "::1"'], { stdio: 'ignore' }).status === 0),
  } satisfies Need,
  /** A Node binary with the single-executable fuse (the official builds have it). */
  seaFuse: {
    name: 'a Node binary that can host a single executable',
    remedy: 'use an official Node build (it carries the NODE_SEA_FUSE)',
    present: once(() => readFileSync(process.execPath).includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2')),
  } satisfies Need,
};

/** True when the test run is CI's (.ci/run sets CI=true): every need must then be met. */
export const ON_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

/** The needs that this machine lacks, worded: "iptables (apt-get install -y iptables)"; null when none. */
export function missingOf(needs: readonly Need[]): string | null {
  const missing = needs.filter((n) => !n.present());
  return missing.length === 0 ? null : missing.map((n) => `${n.name} (${n.remedy})`).join(', ');
}

/** Where the skip reporter reads the skips of this run (vitest.config.ts sets it). */
function logSkip(title: string, missing: string): void {
  const log = process.env.TCPPROBE_SKIP_LOG;
  const file = (globalThis as { __vitest_worker__?: { filepath?: string } }).__vitest_worker__?.filepath ?? '';
  if (log) appendFileSync(log, `${JSON.stringify({ file, title, missing })}\n`);
  console.warn(`SKIPPED "${title}": needs ${missing}`);
}

function failOnCi(title: string, missing: string): never {
  throw new Error(`"${title}" needs ${missing}: under CI=true every need must be met (.ci/run installs them)`);
}

/**
 * `describe` that runs only where every need is met. Otherwise the whole group is a visible skip (locally) or one
 * failing test that names what is missing (CI); its body is never collected, so its hooks start no server.
 */
export function describeNeeding(needs: readonly Need[], title: string, body: () => void): void {
  const missing = missingOf(needs);
  if (missing === null) return void describe(title, body);
  if (ON_CI) return void describe(title, () => it('has what it needs', () => failOnCi(title, missing)));
  logSkip(title, missing);
  describe.skip(title, body);
}

type TestBody = (ctx: TestContext) => unknown;
type TestOptions = { timeout?: number };

/** `it` that runs only where every need is met: a visible skip locally, a failure on CI. */
export function itNeeding(needs: readonly Need[], title: string, body: TestBody): void;
export function itNeeding(needs: readonly Need[], title: string, options: TestOptions, body: TestBody): void;
export function itNeeding(needs: readonly Need[], title: string, a: TestBody | TestOptions, b?: TestBody): void {
  const [options, body] = typeof a === 'function' ? [{}, a] : [a, b as TestBody];
  const missing = missingOf(needs);
  if (missing === null) return void it(title, options, body);
  if (ON_CI) return void it(title, () => failOnCi(title, missing));
  logSkip(title, missing);
  it.skip(title, options, body);
}

/**
 * For a need found only while a test runs (a build step that says it cannot): skip the running test visibly, or
 * fail it on CI.
 */
export function skipUnless(ctx: TestContext, missing: string | null): void {
  if (missing === null) return;
  const title = ctx.task.name;
  if (ON_CI) failOnCi(title, missing);
  logSkip(title, missing);
  ctx.skip(`needs ${missing}`);
}
