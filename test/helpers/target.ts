/**
 * The shared way for tests to get a target server: the built-in one, in-process, on 127.0.0.1 and a free port,
 * always closed when the test is over (even when it fails), so no test leaks a listener or its connections.
 */
import { onTestFinished } from 'vitest';
import {
  startTargetServer,
  type TargetServer,
  type TargetServerOptions,
} from '../../src/server/target-server.js';

/**
 * Start a target on 127.0.0.1, port 0 unless `options` say otherwise, and close it when the current test finishes.
 * Call it inside a test (not in beforeAll/describe), since cleanup is tied to that test.
 */
export async function startTarget(options: Partial<TargetServerOptions> = {}): Promise<TargetServer> {
  const server = await startTargetServer({ host: '127.0.0.1', port: 0, ...options });
  onTestFinished(() => server.close());
  return server;
}

/** Run `fn` against a fresh target and close the target afterwards, whatever `fn` does. Usable anywhere. */
export async function withTarget<T>(
  options: Partial<TargetServerOptions>,
  fn: (server: TargetServer) => Promise<T>,
): Promise<T> {
  const server = await startTargetServer({ host: '127.0.0.1', port: 0, ...options });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}
