#!/usr/bin/env node
/**
 * The CLI entry: wires commands, turns every error into one line and a documented exit code, and is the only
 * place that calls process.exit.
 */
// First: starts the fd table growing for socket commands while the rest loads.
import './early-start.js';
import { Command, CommanderError } from 'commander';
import { ProbeError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { EXIT, exitCodeForError } from '../metrics/exit-codes.js';
import { exitCodesHelp } from './exit-codes.js';
import { examplesHelp } from './help-examples.js';
import { registerRampCommand } from './ramp-command.js';
import { registerHoldCommand } from './hold-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerDoctorCommand } from './doctor-command.js';
import { registerCompareCommand } from './compare-command.js';
import { registerHistoryCommand } from './history-command.js';
import { registerAgentCommand } from './agent-command.js';
import { registerAuditCommand } from './audit-command.js';
import { registerReportCommand } from './report-command.js';
import { trapStopSignals, type StopSignal } from './signals.js';

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

function buildProgram(): Command {
  const program = new Command('tcpprobe')
    .description('Find out how many concurrent TCP connections a server really holds.')
    .version(TOOL_VERSION, '-V, --version')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  registerRampCommand(program, runCommand);
  registerHoldCommand(program, runCommand);
  registerServeCommand(program, runCommand);
  registerDemoCommand(program, runCommand);
  registerDoctorCommand(program, runCommand);
  registerCompareCommand(program, runCommand);
  registerHistoryCommand(program, runCommand);
  registerAgentCommand(program, runCommand);
  registerAuditCommand(program, runCommand);
  registerReportCommand(program, runCommand);
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput({ outputError: () => undefined });
    if (cmd.name() !== 'help') cmd.addHelpText('after', `${examplesHelp(cmd.name())}\n${exitCodesHelp(cmd.name())}`);
  }
  program.addHelpText('after', `${examplesHelp('tcpprobe')}\n\nEach command's --help has its own examples.\n${exitCodesHelp()}`);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
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

void main();
