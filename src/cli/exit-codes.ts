/**
 * The one table of exit codes. Only src/cli/main.ts calls process.exit; everything else returns an outcome.
 * Documented in README ("Exit codes"); scripts and CI depend on these numbers, so never renumber.
 */
import type { ErrorCode } from '../errors.js';
import type { HoldVerdictKind, RampVerdictKind } from '../metrics/result.js';

export const EXIT = {
  /** The run answered the question (a limit found, or at least the asked-for number held). */
  ok: 0,
  /** A bug or an unexpected system error: a stack trace goes to stderr only with TCPPROBE_DEBUG=1. */
  internal: 1,
  /** Bad flags, values, host names, ports or files: one line on stderr. */
  usage: 2,
  /**
   * Nothing was held: the target could not be resolved, not one connection could be established, or the server
   * rejected every connection from the first (a greeting with an error and a close).
   */
  unreachable: 3,
  /** Inconclusive: this machine ran out (fds, ports, memory) before the server did; the max is a lower bound. */
  clientLimited: 4,
  /** hold --assert-established N --within T failed. */
  assertEstablished: 5,
  /** hold --assert-held failed: a connection was lost during --duration. */
  assertHeld: 6,
  /** The max dropped by more than --max-regression against the baseline. */
  regression: 7,
  /** Redis (fleet coordination) unreachable, refused our credentials, or an agent was lost with --on-agent-loss abort. */
  fleet: 8,
  /** Interrupted by SIGINT (Ctrl-C). */
  sigint: 130,
  /** Stopped by SIGTERM. */
  sigterm: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeForError(code: ErrorCode): ExitCode {
  switch (code) {
    case 'usage':
    case 'input':
      return EXIT.usage;
    case 'unresolvable':
      return EXIT.unreachable;
    case 'redis':
      return EXIT.fleet;
    case 'internal':
      return EXIT.internal;
  }
}

/** How a ramp or hold verdict maps to an exit code (assertions and gates are checked separately). */
export function exitCodeForVerdict(kind: RampVerdictKind | HoldVerdictKind, signal: NodeJS.Signals | null): ExitCode {
  switch (kind) {
    case 'unreachable':
    case 'rejected':
      return EXIT.unreachable;
    case 'client-limited':
      return EXIT.clientLimited;
    case 'interrupted':
      return signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
    default:
      return EXIT.ok;
  }
}
