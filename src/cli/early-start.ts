/**
 * Evaluated before the program and the command modules (main.ts loads it first): a command that opens or accepts
 * sockets starts growing this process's fd table now, on the native core's thread, so that the table's one RCU wait (6-12 ms,
 * native/tcpcore.c) overlaps the loading of the CLI's modules instead of coming before the first connect. Other
 * commands and --help do not load the addon for it. A command named after a global option is not recognised here;
 * its run starts the growth itself when it readies its process (engine/process-readiness.ts), only later.
 */
import { growFdTable } from '../engine/process-readiness.js';

const SOCKET_COMMANDS = new Set(['ramp', 'hold', 'demo', 'serve', 'agent', 'audit']);

const args = process.argv.slice(2);
if (SOCKET_COMMANDS.has(args[0] ?? '') && !args.includes('--help') && !args.includes('-h')) growFdTable();
