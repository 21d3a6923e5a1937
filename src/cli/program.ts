/**
 * The CLI's program: wires commands, turns every error into one line and a documented exit code, and is the only
 * place that calls process.exit. Loaded by main.ts for everything but `--version`.
 */
import { Command, CommanderError } from 'commander';
import { ProbeError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { EXIT, exitCodeForError } from '../metrics/exit-codes.js';
import { exitCodesHelp } from './exit-codes.js';
import { examplesHelp } from './help-examples.js';
import { trapStopSignals, type StopSignal } from './signals.js';

type Run = (body: (stop: StopSignal) => Promise<number>) => Promise<void>;
type Register = (program: Command, run: Run) => void;

/**
 * Every command, in the order `--help` lists them, each with the module that registers it. A run of one command
 * loads that command's module only: the others' option readers are 40-odd modules, a few tens of milliseconds on
 * the way to a run's first connect (docs/performance.md, "Start-up").
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['ramp', async () => (await import('./ramp-command.js')).registerRampCommand],
  ['hold', async () => (await import('./hold-command.js')).registerHoldCommand],
  ['serve', async () => (await import('./serve-command.js')).registerServeCommand],
  ['demo', async () => (await import('./demo-command.js')).registerDemoCommand],
  ['doctor', async () => (await import('./doctor-command.js')).registerDoctorCommand],
  ['compare', async () => (await import('./compare-command.js')).registerCompareCommand],
  ['history', async () => (await import('./history-command.js')).registerHistoryCommand],
  ['agent', async () => (await import('./agent-command.js')).registerAgentCommand],
  ['audit', async () => (await import('./audit-command.js')).registerAuditCommand],
  ['report', async () => (await import('./report-command.js')).registerReportCommand],
];

/**
 * The registrations a command line needs: the named command's alone when the first argument names one (its help,
 * usage errors and options are its own, and a program option such as --version still works after it); every
 * command otherwise (the program's help, `help CMD`, an unknown command and its "did you mean").
 */
async function registrations(args: readonly string[]): Promise<Register[]> {
  const named = COMMANDS.filter(([name]) => name === args[0]);
  return Promise.all((named.length > 0 ? named : COMMANDS).map(([, load]) => load()));
}

function fail(message: string, code: number): never {
  process.stderr.write(`tcpprobe: ${message}\n`);
  process.exit(code);
}

/** Run a command body with stop signals trapped; its return value is the exit code. */
async function runCommand(body: (stop: StopSignal) => Promise<number>): Promise<void> {
  const stop = trapStopSignals((code) => process.exit(code));
  try {
    const code = await body(stop);
    process.exit(code);
  } finally {
    stop.dispose();
  }
}

function buildProgram(register: readonly Register[]): Command {
  const program = new Command('tcpprobe')
    .description('Find out how many concurrent TCP connections a server really holds.')
    .version(TOOL_VERSION, '-V, --version')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  for (const r of register) r(program, runCommand);
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput({ outputError: () => undefined });
    if (cmd.name() !== 'help') cmd.addHelpText('after', `${examplesHelp(cmd.name())}\n${exitCodesHelp(cmd.name())}`);
  }
  program.addHelpText('after', `${examplesHelp('tcpprobe')}\n\nEach command's --help has its own examples.\n${exitCodesHelp()}`);
  return program;
}

/** Run the command line (node, the script, then the arguments); every outcome ends in process.exit. */
export async function runCli(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildProgram(await registrations(argv.slice(2))).parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) process.exit(0); // --help, --version
      // No command (or a command group without its subcommand): commander printed the help; that is a usage error.
      if (e.code === 'commander.help') process.exit(EXIT.usage);
      fail(`${e.message.replace(/^error: /, '')} (see --help)`, EXIT.usage);
    }
    if (e instanceof ProbeError) fail(e.message, exitCodeForError(e.code));
    if (process.env.TCPPROBE_DEBUG === '1') process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    fail(`internal error: ${(e as Error).message ?? String(e)} (TCPPROBE_DEBUG=1 for details)`, EXIT.internal);
  }
}

