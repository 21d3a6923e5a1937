/**
 * Which outcomes each command can end in (src/metrics/exit-codes.ts has the table and the codes), and the "Exit
 * codes" section of each command's --help, which lists those and no others.
 */
import { OUTCOME_TABLE, type Outcome, type OutcomeRow } from '../metrics/exit-codes.js';

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
    { outcome: 'assertion-capacity' },
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
