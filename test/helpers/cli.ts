/**
 * Run the built CLI as a real child process (the test command builds first), and start `tcpprobe serve` targets
 * as child processes that are killed by PID when the test is done.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

/** The installed bin (package.json "bin"): the bundled CLI with its code cache (src/cli/bin.cts). */
export const CLI = fileURLToPath(new URL('../../dist/cli/bin.cjs', import.meta.url));
/** The CLI's ES module entry, which the bin's bundle is built from and falls back to. */
export const ESM_CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `tcpprobe ARGS...` to completion, with a hard timeout that kills it (a hung CLI fails the test, not CI). */
export async function runCli(
  args: readonly string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; shellPrefix?: string; cwd?: string } = {},
): Promise<CliRun> {
  const child =
    opts.shellPrefix === undefined
      ? spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd })
      : spawn('bash', ['-c', `${opts.shellPrefix} "$@"`, 'bash', process.execPath, CLI, ...args], {
          env: { ...process.env, ...opts.env },
          stdio: ['ignore', 'pipe', 'pipe'],
          cwd: opts.cwd,
        });
  return collect(child, opts.timeoutMs ?? 60_000);
}

/**
 * Start the CLI and hand back the child, for tests that signal it mid-run. With `shellPrefix` (e.g. "ulimit -n
 * 400;") bash runs it first and then execs the CLI, so the child's pid is still the CLI's own.
 */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, shellPrefix?: string): ChildProcess {
  const opts: SpawnOptions = { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] };
  return shellPrefix === undefined
    ? spawn(process.execPath, [CLI, ...args], opts)
    : spawn('bash', ['-c', `${shellPrefix} exec "$@"`, 'bash', process.execPath, CLI, ...args], opts);
}

export async function collect(child: ChildProcess, timeoutMs: number): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

export interface ServeChild {
  port: number;
  host: string;
  child: ChildProcess;
  /** What serve wrote on stderr so far (its status lines, with `statusLines`). */
  stderr(): string;
  stop(): Promise<void>;
}

const started: ServeChild[] = [];
afterAll(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

/**
 * Start `tcpprobe serve ARGS` on a free port; resolves once it prints its address. Stopped after the file. Quiet
 * unless `statusLines` (its stats every second on stderr, read with stderr()).
 */
export async function startServe(args: readonly string[], host = '127.0.0.1', opts: { statusLines?: boolean } = {}): Promise<ServeChild> {
  const quiet = opts.statusLines === true ? [] : ['-q'];
  const child = spawn(process.execPath, [CLI, 'serve', '--host', host, '--port', '0', ...quiet, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buffered = '';
  let errors = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (errors += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${errors}`)), 15_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      const m = /listening on \[?([^\]\s]+)\]?:(\d+)/.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[2]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${errors}`));
    });
  });
  const serve: ServeChild = {
    port,
    host,
    child,
    stderr: () => errors,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  started.push(serve);
  return serve;
}

/** Parse the JSON document a `--json` run printed on stdout. */
export function parseResult<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${run.code}):\n${run.stdout.slice(0, 500)}\nstderr:\n${run.stderr.slice(-2000)}`);
  }
}
