/**
 * The one table of outcomes and their exit codes, and how a run's result maps to one. Every command ends in one
 * outcome; only src/cli/program.ts calls process.exit. Documented in README ("Exit codes") and in every command's --help
 * (src/cli/exit-codes.ts prints the rows each command can end in); scripts and CI depend on these numbers, so never
 * renumber: a new outcome gets a new code. Here, below the CLI, so the library and the result document use the
 * same codes the CLI exits with.
 */
import type { ErrorCode } from '../errors.js';
import type { HoldVerdictKind, RampVerdictKind } from './result.js';

export const EXIT = {
  /** The run answered the question: a limit found, --max reached, or the hold held for its --duration. */
  ok: 0,
  /** A bug or an unexpected system error: a stack trace goes to stderr only with TCPPROBE_DEBUG=1. */
  internal: 1,
  /**
   * Bad flags, values, host names, ports or files, found before anything connects: one line on stderr. Also an
   * output file that could not be written at the end of a run that answered (the result is kept elsewhere).
   */
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
  /**
   * Timed out without an answer: --max-duration ran out before a limit was found (ramp, without --max reached) or
   * before --duration was held or the server closed everything (hold). The number is only a lower bound.
   */
  timedOut: 9,
  /** ramp --assert-capacity N failed: fewer than N connections were held. */
  assertCapacity: 10,
  /** Interrupted by SIGINT (Ctrl-C). */
  sigint: 130,
  /** Stopped by SIGTERM. */
  sigterm: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** How a command ended, before it becomes a number. */
export type Outcome =
  | 'answered'
  | 'internal'
  | 'usage'
  | 'unreachable'
  | 'client-limited'
  | 'assertion-established'
  | 'assertion-held'
  | 'regression'
  | 'fleet'
  | 'timed-out'
  | 'assertion-capacity'
  | 'interrupted';

export interface OutcomeRow {
  outcome: Outcome;
  /** The exit code, or "130 / 143" for interrupted (SIGINT / SIGTERM). */
  codes: readonly ExitCode[];
  /** One line for --help and README. */
  meaning: string;
}

/** The table README and --help print, in code order. */
export const OUTCOME_TABLE: readonly OutcomeRow[] = [
  { outcome: 'answered', codes: [EXIT.ok], meaning: 'answered: a limit found, --max reached, or the hold held for --duration' },
  { outcome: 'internal', codes: [EXIT.internal], meaning: 'internal error (a bug); TCPPROBE_DEBUG=1 prints the stack' },
  {
    outcome: 'usage',
    codes: [EXIT.usage],
    meaning: 'bad input (flags, values, hosts, ports, files, output paths), before anything connects; one line on stderr',
  },
  {
    outcome: 'unreachable',
    codes: [EXIT.unreachable],
    meaning: 'nothing held: the name does not resolve, nothing connected, or the server rejected every connection',
  },
  {
    outcome: 'client-limited',
    codes: [EXIT.clientLimited],
    meaning: 'inconclusive: this machine ran out (fds, ports, memory, conntrack) first, or would have (the ramp stopped at its figure); the max is a lower bound',
  },
  { outcome: 'assertion-established', codes: [EXIT.assertEstablished], meaning: 'hold --assert-established failed' },
  { outcome: 'assertion-held', codes: [EXIT.assertHeld], meaning: 'hold --assert-held failed' },
  { outcome: 'regression', codes: [EXIT.regression], meaning: 'regression: the max dropped by more than --max-regression' },
  { outcome: 'fleet', codes: [EXIT.fleet], meaning: 'fleet: Redis unreachable or refused us, or an agent refused or was lost' },
  {
    outcome: 'timed-out',
    codes: [EXIT.timedOut],
    meaning: 'timed out without an answer: --max-duration ran out first; the max is a lower bound',
  },
  { outcome: 'assertion-capacity', codes: [EXIT.assertCapacity], meaning: 'ramp --assert-capacity failed: fewer connections held than asked' },
  { outcome: 'interrupted', codes: [EXIT.sigint, EXIT.sigterm], meaning: 'stopped by SIGINT / SIGTERM (the partial result is still printed)' },
];

/**
 * Outcomes from worst to best, for `tcpprobe audit`, which exits with the code of its worst target. Stopped comes
 * first (the audit did not finish); then our own failures (a bug, Redis, a file we could not write), which say
 * nothing about the servers; then a service that held nothing; then a measured regression (or a max under
 * minConnections); then answers that are only lower bounds (this machine ran out, time ran out); then answered.
 */
export const OUTCOME_SEVERITY: readonly Outcome[] = [
  'interrupted',
  'internal',
  'fleet',
  'usage',
  'unreachable',
  'regression',
  'assertion-capacity',
  'assertion-established',
  'assertion-held',
  'client-limited',
  'timed-out',
  'answered',
];

/** The worst of several outcomes (OUTCOME_SEVERITY); "answered" for none. */
export function worstOutcome(outcomes: readonly Outcome[]): Outcome {
  let worst: Outcome = 'answered';
  for (const o of outcomes) if (OUTCOME_SEVERITY.indexOf(o) < OUTCOME_SEVERITY.indexOf(worst)) worst = o;
  return worst;
}

/** The outcome of a verdict. Exhaustive: a new verdict kind does not compile until it is placed here. */
export function outcomeOfVerdict(kind: RampVerdictKind | HoldVerdictKind): Outcome {
  switch (kind) {
    case 'limit-by-failure':
    case 'limit-by-plateau':
    case 'max-reached':
    case 'evicting':
    case 'held':
    case 'all-closed': // without --duration a hold runs until the server has closed them all: that is its answer
      return 'answered';
    case 'timed-out':
      return 'timed-out';
    case 'unreachable':
    case 'rejected':
      return 'unreachable';
    case 'client-limited':
      return 'client-limited';
    case 'interrupted':
      return 'interrupted';
  }
}

/**
 * The exit code of an outcome. `signal` is the name of the signal that stopped the run, if one did: 'SIGTERM'
 * gives 143, any other 130. A plain string, not Node's `NodeJS.Signals`: this is library surface, and a project
 * without @types/node (TypeScript 6 includes no `types` by default) must compile against it.
 */
export function exitCodeForOutcome(outcome: Outcome, signal: string | null = null): ExitCode {
  switch (outcome) {
    case 'answered':
      return EXIT.ok;
    case 'internal':
      return EXIT.internal;
    case 'usage':
      return EXIT.usage;
    case 'unreachable':
      return EXIT.unreachable;
    case 'client-limited':
      return EXIT.clientLimited;
    case 'assertion-established':
      return EXIT.assertEstablished;
    case 'assertion-held':
      return EXIT.assertHeld;
    case 'regression':
      return EXIT.regression;
    case 'fleet':
      return EXIT.fleet;
    case 'timed-out':
      return EXIT.timedOut;
    case 'assertion-capacity':
      return EXIT.assertCapacity;
    case 'interrupted':
      return signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
  }
}

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

/**
 * How a ramp or hold verdict maps to an exit code (assertions and gates are checked separately); `signal` as in
 * exitCodeForOutcome.
 */
export function exitCodeForVerdict(kind: RampVerdictKind | HoldVerdictKind, signal: string | null): ExitCode {
  return exitCodeForOutcome(outcomeOfVerdict(kind), signal);
}

/** What decides a run's outcome: its verdict, its assertions, and (ramp) the regression gate. */
export interface JudgedRun {
  verdict: { kind: RampVerdictKind | HoldVerdictKind };
  assertions?: readonly { name: string; passed: boolean }[];
  gate?: { outcome: string };
}

const ASSERTION_OUTCOMES: Readonly<Record<string, Outcome>> = {
  capacity: 'assertion-capacity',
  'established-within': 'assertion-established',
  held: 'assertion-held',
};

/**
 * The outcome of a ramp or hold result, as the CLI exits with it and as the document's `exitCode` records it: a
 * stopped run is interrupted; else the first failed assertion decides (the question CI asked was answered "no");
 * else a regression found by the gate; else the verdict.
 */
export function outcomeOfRun(run: JudgedRun): Outcome {
  if (run.verdict.kind === 'interrupted') return 'interrupted';
  const failed = run.assertions?.find((a) => !a.passed);
  if (failed !== undefined) return ASSERTION_OUTCOMES[failed.name] ?? 'internal';
  if (run.gate?.outcome === 'regression') return 'regression';
  return outcomeOfVerdict(run.verdict.kind);
}

/** outcomeOfRun as an exit code; `signal` as in exitCodeForOutcome. */
export function exitCodeOfRun(run: JudgedRun, signal: string | null = null): ExitCode {
  return exitCodeForOutcome(outcomeOfRun(run), signal);
}


/** `run` with the exit code it stands for and whether that is 0, as the result document records them. */
export function withExitCode<T extends JudgedRun>(run: T, signal: string | null = null): T & { exitCode: number; passed: boolean } {
  const exitCode = exitCodeOfRun(run, signal);
  return { ...run, exitCode, passed: exitCode === EXIT.ok };
}
