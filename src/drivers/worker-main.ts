/**
 * Entry of a worker process: one participant over Node's IPC channel. It exits when told to close, and also
 * when the parent goes away however it went (the IPC channel disconnects), so no worker outlives its run.
 */
import { readFileSync } from 'node:fs';
import { parseOpenFilesLimit } from '../preflight/proc-parse.js';
import type { ParticipantCommand, TelemetryReport, WorkerStart } from '../types/participant-protocol.js';
import { startParticipant, type Participant } from './participant.js';
import { LocalDriver } from './local-driver.js';
import { readyForManySockets } from '../engine/process-readiness.js';

// This process only holds connections, and reports them: the fd table grows (one RCU wait, on the native core's
// thread) while the start message comes; memory matters more than the cost of compacting.
readyForManySockets('worker');

function fdLimit(): number | null {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'))?.soft ?? null;
  } catch {
    return null;
  }
}

/** The parent may be gone between the check and the write (EPIPE): the callback takes that, and 'disconnect' ends us. */
function send(report: TelemetryReport): void {
  if (process.connected) process.send?.(report, undefined, {}, () => undefined);
}

let participant: Participant | null = null;

process.on('message', (msg: WorkerStart | ParticipantCommand) => {
  if (msg.kind === 'start') {
    if (participant !== null) return;
    const driver = new LocalDriver(msg.engine);
    participant = startParticipant(msg.name, driver, { send }, fdLimit(), driver.pool.engine);
    void participant.done.then(() => {
      // Let the final report leave before the channel closes.
      setImmediate(() => {
        if (process.connected) process.disconnect?.();
      });
    });
    return;
  }
  participant?.handle(msg);
});

process.on('disconnect', () => {
  participant?.close();
  setImmediate(() => process.exit(0));
});
