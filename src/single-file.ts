/**
 * The single-file executable (Node's single executable applications; `npm run sea`, scripts/build-sea.mjs): what
 * differs when tcpprobe runs from one binary with no script files beside it. The build bundles dist/ into one
 * CommonJS script with esbuild and defines TCPPROBE_SINGLE_FILE_VERSION; in a normal install it is not defined,
 * and everything here answers "not single-file".
 *
 * Child processes (worker processes, `serve --workers`) re-enter the binary itself, with the role as the first
 * argument (src/sea-main.ts dispatches on it); the code of worker threads and the HTML report's charting library
 * are assets of the binary.
 */
import { createRequire } from 'node:module';

declare const TCPPROBE_SINGLE_FILE_VERSION: string | undefined;

/** True inside the single-file executable. */
export function isSingleFile(): boolean {
  return typeof TCPPROBE_SINGLE_FILE_VERSION === 'string';
}

/** The package version baked into the single-file executable; null in a normal install. */
export function singleFileVersion(): string | null {
  return typeof TCPPROBE_SINGLE_FILE_VERSION === 'string' ? TCPPROBE_SINGLE_FILE_VERSION : null;
}

/** The text of a file the binary carries (its sea-config `assets`). Only inside the single-file executable. */
export function singleFileAsset(name: string): string {
  // node:sea exists from Node 20.12 on; loaded here only, so a normal install on an older Node 20 never asks.
  const sea = createRequire(import.meta.url)('node:sea') as { getAsset(key: string, encoding: string): string };
  return sea.getAsset(name, 'utf8');
}

/** The first argument that makes the binary run as one of its own child processes instead of the CLI. */
export const CHILD_ROLE_ARGS = {
  worker: '--tcpprobe-child=worker',
  serveWorker: '--tcpprobe-child=serve-worker',
} as const;

export type ChildRole = keyof typeof CHILD_ROLE_ARGS;

/** What to hand `child_process.fork` to start a child role. */
export interface ChildEntry {
  /** A script path, or (single-file) the role argument: fork runs process.execPath with it. */
  modulePath: string;
  execArgv: string[];
  env: NodeJS.ProcessEnv;
}

/**
 * How to fork a child role. In a normal install: the role's script, with Node flags in execArgv. In the
 * single-file executable every argument goes to the program, not to Node, so the flags travel in NODE_OPTIONS
 * (which the binary's Node reads) and the script is the binary itself, told its role by the first argument.
 * @param script the role's compiled script (called only outside the single-file executable)
 * @param nodeFlags V8/Node flags the child needs on top of the parent's own
 */
export function childEntry(role: ChildRole, script: () => string, nodeFlags: readonly string[]): ChildEntry {
  if (!isSingleFile()) return { modulePath: script(), execArgv: [...process.execArgv, ...nodeFlags], env: process.env };
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', ...nodeFlags].join(' ').trim();
  return { modulePath: CHILD_ROLE_ARGS[role], execArgv: [], env: { ...process.env, NODE_OPTIONS: nodeOptions } };
}
