/**
 * What the bench scripts share: reading a child's lines as they come, whether fresh network namespaces can be
 * made here, and whether a command a case needs is installed. Imported by scripts/bench.mjs, bench-run.mjs and bench-opener.mjs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Lines of a child's stdout, as an async queue: `next(prefix)` resolves with the next line starting so. */
export function lineReader(child) {
  const queue = [];
  const waiting = [];
  let ended = false;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const w = waiting.findIndex((x) => line.startsWith(x.prefix));
    if (w >= 0) waiting.splice(w, 1)[0].resolve(line);
    else queue.push(line);
  });
  // 'close', not 'exit': the last lines may still be in the pipe when the process has exited.
  child.once('close', () => {
    ended = true;
    for (const w of waiting.splice(0)) w.reject(new Error(`process exited while waiting for "${w.prefix}"`));
  });
  return {
    next(prefix) {
      const i = queue.findIndex((l) => l.startsWith(prefix));
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
      if (ended) return Promise.reject(new Error(`process exited before "${prefix}"`));
      return new Promise((resolve, reject) => waiting.push({ prefix, resolve, reject }));
    },
  };
}

/**
 * Start a bench runner (`node ARGS`), in a fresh network namespace when `netns`; `unshare` without --fork execs
 * node, so the child's PID is the runner's. Its stdout is collected whole, its stderr up to 10 kB.
 */
export function spawnRunner(args, netns) {
  const child = netns
    ? spawn('unshare', ['-n', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (d) => (out.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => {
    if (out.stderr.length < 10_000) out.stderr += d;
  });
  return { child, out };
}

/** A runner's result: its last stdout line as JSON, or a failed run naming what its stderr said last. */
export function runnerResult(out) {
  const line = out.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return { ok: false, error: `runner printed no result; ${out.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  }
}

/** True when we can make network namespaces (root, and the sandbox allows it). */
export function canUnshare() {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** True when `cmd` is on PATH (a case's `needs`, scripts/bench-cases.mjs). */
export function haveCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}
