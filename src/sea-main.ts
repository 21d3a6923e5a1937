/**
 * The entry of the single-file executable (scripts/build-sea.mjs bundles from here): the CLI, or one of its child
 * roles when the binary re-enters itself to start a worker process (src/single-file.ts). Each is loaded only when
 * chosen, as in a normal install.
 */
import { CHILD_ROLE_ARGS } from './single-file.js';

const role = process.argv[2];
if (role === CHILD_ROLE_ARGS.worker) void import('./drivers/worker-main.js');
else if (role === CHILD_ROLE_ARGS.serveWorker) void import('./server/serve-worker-main.js');
else void import('./cli/main.js');
