/**
 * For CLI tests that act on a running child (send a signal once it is under way): wait until its output shows a
 * line, without taking the output away from collect() in ./cli.ts.
 */
import type { ChildProcess } from 'node:child_process';

/**
 * Resolve with everything the child wrote on `stream` so far once it matches `pattern`; reject after `timeoutMs`
 * or when the child exits first. Call collect() on the child before this, so both see every chunk.
 */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  { stream = 'stderr', timeoutMs = 15_000 }: { stream?: 'stdout' | 'stderr'; timeoutMs?: number } = {},
): Promise<string> {
  const source = stream === 'stderr' ? child.stderr : child.stdout;
  if (source === null) return Promise.reject(new Error(`the child has no ${stream} pipe`));
  let seen = '';
  return new Promise<string>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      source.off('data', onData);
      child.off('exit', onExit);
    };
    const onData = (d: Buffer | string): void => {
      seen += String(d);
      if (pattern.test(seen)) {
        done();
        resolve(seen);
      }
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`the child exited (${code}) before ${stream} matched ${pattern}:\n${seen.slice(-2000)}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${stream} did not match ${pattern} within ${timeoutMs} ms:\n${seen.slice(-2000)}`));
    }, timeoutMs);
    source.on('data', onData);
    child.on('exit', onExit);
  });
}
