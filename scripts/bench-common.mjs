/**
 * What the bench scripts share: reading a child's lines as they come, and whether fresh network namespaces can be
 * made here. Imported by scripts/bench.mjs, bench-run.mjs and bench-opener.mjs.
 */
import { spawnSync } from 'node:child_process';
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

/** True when we can make network namespaces (root, and the sandbox allows it). */
export function canUnshare() {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}
