/**
 * The one table of outcomes and their exit codes. Every command ends in one outcome; only src/cli/main.ts calls
 * process.exit. Documented in README ("Exit codes") and in every command's --help (exitCodesHelp: the rows of
 * COMMAND_OUTCOMES, the outcomes that command can end in); scripts and CI depend on these numbers, so never
 * renumber: a new outcome gets a new code.
 */
import type { ErrorCode } from '../errors.js';
import type { HoldVerdictKind, RampVerdictKind } from '../metrics/result.js';

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
  { outcome: 'interrupted', codes: [EXIT.sigint, EXIT.sigterm], meaning: 'stopped by SIGINT / SIGTERM (the partial result is still printed)' },
];

/** The commands, each with an entry in COMMAND_OUTCOMES. */
export const COMMAND_NAMES = ['ramp', 'hold', 'serve', 'demo', 'doctor', 'compare', 'history', 'agent', 'audit', 'report'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** One row of a command's --help: an outcome it can end in, in its own words where the table's do not fit it. */
export interface CommandOutcomeRow {
  outcome: Outcome;
  /** What this outcome means for this command; the table's meaning when absent. */
  meaning?: string;
}

/** Outcomes every command can end in: a bug, and bad input found before it does anything. */
const BASE: readonly CommandOutcomeRow[] = [{ outcome: 'internal' }, { outcome: 'usage' }];

/**
 * Which outcomes each command can end in: its --help lists these and no others (test/integration/help-exit-codes-
 * cli.test.ts measures them where it can). A signal stops the commands that take one (ramp, hold, serve, demo,
 * audit, agent); the others finish at once and are not listed with 130 / 143.
 */
export const COMMAND_OUTCOMES: Readonly<Record<CommandName, readonly CommandOutcomeRow[]>> = {
  ramp: [
    { outcome: 'answered', meaning: 'answered: a limit found, or --max reached' },
    ...BASE,
    { outcome: 'unreachable' },
    { outcome: 'client-limited' },
    { outcome: 'regression' },
    { outcome: 'fleet' },
    { outcome: 'timed-out' },
    { outcome: 'interrupted' },
  ],
  hold: [
    { outcome: 'answered', meaning: 'answered: held for --duration, or without it until the server closed every connection' },
    ...BASE,
    { outcome: 'unreachable', meaning: 'nothing held: the name does not resolve, or nothing connected' },
    { outcome: 'client-limited', meaning: 'inconclusive: this machine ran out (fds, ports, memory, conntrack) first' },
    { outcome: 'assertion-established' },
    { outcome: 'assertion-held' },
    { outcome: 'timed-out', meaning: 'timed out: --max-duration ran out before --duration was held or the server closed every connection' },
    { outcome: 'interrupted' },
  ],
  serve: [...BASE, { outcome: 'interrupted', meaning: 'stopped by SIGINT / SIGTERM: how serve ends' }],
  demo: [
    { outcome: 'answered', meaning: "answered: a limit found (it should be the target's cap)" },
    ...BASE,
    { outcome: 'client-limited' },
    { outcome: 'timed-out' },
    { outcome: 'interrupted' },
  ],
  doctor: [
    { outcome: 'answered', meaning: "the report printed (a limit of this machine is a finding, not a failure)" },
    ...BASE,
    { outcome: 'unreachable', meaning: 'the --host name does not resolve' },
  ],
  compare: [{ outcome: 'answered', meaning: 'the comparison printed' }, ...BASE],
  history: [{ outcome: 'answered', meaning: 'the runs listed' }, ...BASE],
  agent: [
    { outcome: 'answered', meaning: 'stopped by SIGINT / SIGTERM: how an agent ends' },
    ...BASE,
    { outcome: 'fleet', meaning: 'Redis unreachable or refused us, or an agent of this --name is already registered' },
    { outcome: 'interrupted', meaning: 'a second SIGINT / SIGTERM while it stops: it exits at once' },
  ],
  audit: [
    { outcome: 'answered', meaning: 'every target answered' },
    ...BASE,
    { outcome: 'unreachable', meaning: 'a target held nothing (or its name does not resolve)' },
    { outcome: 'client-limited' },
    { outcome: 'regression', meaning: "regression: a target's max dropped by more than its max regression, or fell under its minimum" },
    { outcome: 'timed-out' },
    { outcome: 'interrupted' },
  ],
  report: [{ outcome: 'answered', meaning: 'the report written' }, ...BASE],
};

/** A command's rows, in code order; throws for a command with no entry (a new command must say what it returns). */
export function commandOutcomes(command: string): readonly CommandOutcomeRow[] {
  if (!(COMMAND_NAMES as readonly string[]).includes(command)) throw new Error(`no exit codes for command "${command}"`);
  const rows = COMMAND_OUTCOMES[command as CommandName];
  const order = (o: Outcome): number => OUTCOME_TABLE.findIndex((r) => r.outcome === o);
  return [...rows].sort((a, b) => order(a.outcome) - order(b.outcome));
}

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

/** Words of `text` on lines of at most `width` columns (a longer word gets a line of its own). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

/**
 * The "Exit codes" section of --help, wrapped to 80 columns under each meaning: a command's own rows
 * (COMMAND_OUTCOMES), or without one every row of OUTCOME_TABLE (the program's --help).
 */
export function exitCodesHelp(command?: string): string {
  const table = (o: Outcome): OutcomeRow => OUTCOME_TABLE.find((r) => r.outcome === o)!;
  const rows =
    command === undefined
      ? OUTCOME_TABLE.map((r) => [r.codes.join(' / '), r.meaning] as const)
      : commandOutcomes(command).map((r) => [table(r.outcome).codes.join(' / '), r.meaning ?? table(r.outcome).meaning] as const);
  const width = Math.max(...rows.map(([c]) => c.length));
  const indent = 2 + width + 2;
  const lines = rows.flatMap(([c, m]) =>
    wrapWords(m, 80 - indent).map((part, i) => (i === 0 ? `  ${c.padEnd(width)}  ${part}` : `${' '.repeat(indent)}${part}`)),
  );
  return ['', 'Exit codes:', ...lines].join('\n');
}
