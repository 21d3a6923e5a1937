#!/usr/bin/env node
/**
 * The CLI entry, kept to what `--version` needs: ES module imports are loaded before any code of the module runs,
 * so a check in the program itself would come after commander and every command's module had loaded (about 60 ms
 * here). `--version` or `-V` as the only argument prints the version from here; anything else loads the program
 * (program.ts), after early-start.ts has started the fd table growing for a socket command.
 */
import { TOOL_VERSION } from '../version.js';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // What commander's version option prints, and the same exit code 0.
  process.stdout.write(`${TOOL_VERSION}\n`);
} else {
  // Not a top-level await: the single-file build bundles this module as CommonJS (scripts/build-sea.mjs).
  void import('./early-start.js').then(() => import('./program.js')).then(({ runCli }) => runCli(process.argv));
}
