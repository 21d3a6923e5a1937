/**
 * Entry of one worker process of `tcpprobe serve --workers N`; forked by src/server/multi-process.ts, never
 * imported. It accepts on its copy of the shared listening socket and, with a cap, asks the primary to admit what it
 * accepted (one `want` per batch); without one it admits at once and reports the number. It holds what was
 * admitted: greeting, echo or discard, close after `closeAfterMs`, and a report of every close (batched) so the
 * primary's global count stays exact. What was denied gets the over-limit treatment here (message and FIN, or RST).
 * The serving itself is the serving core's (serving-core.ts), the same as in one process, or the native core's
 * (native-serving.ts) where it loads and the settings allow; admission here is the primary's grant.
 *
 * It stops accepting before its open-files limit (`maxHeld`) and says so. It exits when the primary asks it to stop,
 * and also when the primary goes away however it went (the IPC channel disconnects): the kernel then closes every
 * socket it held.
 */
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import { FifoQueue } from '../engine/fifo-queue.js';
import { parseOpenFilesLimit } from '../preflight/proc-parse.js';
import type { FromServeWorker, ServeWorkerSettings, ToServeWorker } from './serve-protocol.js';
import { ServingCore, type Admission, type ServedClose, type Serving } from './serving-core.js';
import { NativeServing, nativeServingProblem } from './native-serving.js';
import { readyForManySockets } from '../engine/process-readiness.js';

// This process accepts and holds connections: the fd table grows (one RCU wait, on the native core's thread) while
// the start message and the listening socket come, not one wait per doubling in the accepts that need a bigger one.
readyForManySockets('serve');

/** Longest a report (want, opened, closed) waits to be batched with others, in milliseconds. */
const FLUSH_MS = 2;
/** Fds kept free below the open-files limit: IPC, stdio, the listener, Node's own. */
const FD_RESERVE = 100;
/** Accept again once this far below `maxHeld` (a twentieth, at most 500), so a worker at its limit does not flap. */
function resumeMargin(): number {
  return Math.min(500, Math.ceil(maxHeld / 20));
}

/** A connection as the serving side names it: a Node socket, or the native core's record of one. */
type Conn = unknown;

let settings: ServeWorkerSettings | null = null;
let core: Serving<Conn> | null = null;
/** The native accept path, when this process uses it; else Node accepts on `listener`. */
let native: NativeServing | null = null;
let maxHeld = 0;
let listener: net.Server | null = null;
let full = false;
/** Accepted, waiting for the primary's grant or deny, oldest first. */
const waiting = new FifoQueue<Conn>();
let wanted = 0;
/**
 * The primary said the global count is at the cap: turn new connections away here, at once. Asking would cost a
 * round trip through the primary per batch, and a client whose connection waits longer than its --settle for that
 * answer counts it as held (measured: 120-170 ms on a loaded 2-core machine, enough to report a few dozen over a
 * cap of 6,000), and a worker slow to drain its accept queue makes the kernel drop handshakes it later completes.
 */
let atCap = false;
/** Turned away at the cap without asking, since the last report. */
let deniedHere = 0;
/** Without a cap: connections admitted since the last report, and the next id this worker gives out. */
let opened = 0;
let nextOwnId = 1;
let byClient: number[] = [];
let byServer: number[] = [];
let flushScheduled = false;
let stopping = false;

function send(msg: FromServeWorker): void {
  if (process.connected) process.send?.(msg, undefined, {}, () => undefined); // EPIPE: the parent is gone
}

/**
 * Reports go out at most every FLUSH_MS, however many connections arrived or closed meanwhile. Per event-loop turn
 * was not enough: every worker wakes for every new connection on the shared socket, so turns are short and each
 * message (a wake-up of the primary, costly on these VMs) carried one or two connections.
 */
function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setTimeout(() => {
    flushScheduled = false;
    flush();
  }, FLUSH_MS);
}

function flush(): void {
  if (wanted > 0) {
    send({ kind: 'want', count: wanted });
    wanted = 0;
  }
  if (deniedHere > 0) {
    send({ kind: 'denied', count: deniedHere });
    deniedHere = 0;
  }
  if (opened > 0) {
    send({ kind: 'opened', count: opened });
    opened = 0;
  }
  if (byClient.length > 0 || byServer.length > 0) {
    send({ kind: 'closed', byClient, byServer });
    byClient = [];
    byServer = [];
  }
}

function ownOpenFilesLimit(): number {
  try {
    return parseOpenFilesLimit(readFileSync('/proc/self/limits', 'utf8'))?.soft ?? 1024;
  } catch {
    return 1024;
  }
}

/**
 * Admission by the primary's grant: without a cap, admit at once under an id of our own and report the number;
 * at the cap (as the primary last said), turn away at once; else wait for the primary's answer to a `want`.
 */
const primaryGrant: Admission<Conn> = {
  arrived(socket, served) {
    if (stopping) {
      served.turnAway(socket, 'reset');
      return;
    }
    if (settings?.capped === false) {
      served.serve(socket, nextOwnId++);
      opened++;
    } else if (atCap) {
      served.turnAway(socket, denial());
      deniedHere++;
    } else {
      waiting.push(socket);
      wanted++;
    }
    scheduleFlush();
    if (!full && served.openCount + waiting.length >= maxHeld) {
      full = true;
      // Our copy goes back with the news, for a worker with room: the listening workers fill up together, and
      // closing the last copies would close the socket, resetting what waits in its accept queue.
      const copy = native !== null ? native.listenerToLend(backlog()) : listener;
      native?.unlisten();
      listener = null;
      flush(); // what we accepted reaches the primary before the news that we stopped
      sendWithCopy({ kind: 'full' }, copy);
    }
  },
};

function denial(): 'close' | 'reset' {
  return settings?.denial === 'close' ? 'close' : 'reset';
}

/** Every close of an admitted connection is reported, but evictions: the primary has already counted those. */
function onServedClosed(id: number, how: ServedClose): void {
  if (how === 'client') byClient.push(id);
  else if (how === 'expired') byServer.push(id);
  if (how !== 'evicted') scheduleFlush();
  maybeRoom();
}

function closeListener(): void {
  native?.unlisten();
  listener?.close();
  listener = null;
}

/**
 * Receiving a listening server over IPC makes Node listen on it again with its default backlog, 511, and the
 * backlog belongs to the socket every copy shares. Listening again with ours restores it; Node has no public call.
 */
function restoreBacklog(server: net.Server): void {
  (server as unknown as { _handle?: { listen?(backlog: number): number } })._handle?.listen?.(backlog());
}

/** Accept on this copy of the listening socket: in the native core, or with Node. */
function takeListener(server: net.Server): void {
  restoreBacklog(server);
  if (native !== null) {
    native.listen(server);
    return;
  }
  listener = server;
  server.on('connection', onAccept);
  server.on('error', ignoreServerError);
}

/** The backlog the run asked for (what a copy made here listens with). */
function backlog(): number {
  return settings?.backlog ?? 511;
}

/**
 * Send `msg` to the primary with `copy` of the listening socket attached, or without one. A copy that is not our
 * own accepting listener is closed once on its way, or at once when it cannot go.
 */
function sendWithCopy(msg: FromServeWorker, copy: net.Server | null): void {
  const release = (): void => {
    if (copy !== null && copy !== listener) copy.close();
  };
  if (copy === null || !process.connected) {
    release();
    send(msg);
    return;
  }
  process.send?.(msg, copy, {}, release);
}

/** Answer `lend`: a copy of our listening socket for the primary, or none. */
function lendListener(): void {
  sendWithCopy({ kind: 'listener' }, native !== null ? native.listenerToLend(backlog()) : listener);
}

function maybeRoom(): void {
  if (full && (core?.openCount ?? 0) + waiting.length <= maxHeld - resumeMargin()) {
    full = false;
    send({ kind: 'room' });
  }
}

/** Reset everything (no TIME_WAIT left on this machine), tell the primary, and let the channel go. */
function stop(): void {
  if (stopping) return;
  stopping = true;
  closeListener();
  waiting.clear();
  void core?.teardown();
  send({ kind: 'stopped' });
  setImmediate(() => {
    if (process.connected) process.disconnect?.();
  });
}

function ignoreServerError(): void {
  // accept() errors (EMFILE with a limit lower than we thought): the listener goes on; maxHeld keeps us below it.
}

function onAccept(socket: net.Socket): void {
  if (native !== null) native.adopt(socket);
  else if (core instanceof ServingCore) core.accept(socket);
}

function handle(msg: ToServeWorker, handleArg: unknown): void {
  switch (msg.kind) {
    case 'start': {
      settings = msg.settings;
      maxHeld = settings.maxHeld ?? ownOpenFilesLimit() - FD_RESERVE;
      const why = nativeServingProblem(settings);
      native = why === null ? new NativeServing(settings, primaryGrant, onServedClosed, maxHeld) : null;
      core = native ?? new ServingCore(settings, primaryGrant, onServedClosed);
      send({ kind: 'ready', pid: process.pid, maxHeld, engine: native !== null ? 'native' : 'js' });
      return;
    }
    case 'listen': {
      const server = handleArg as net.Server | undefined;
      if (server === undefined) return;
      closeListener();
      if (full) {
        // It crossed our report on the way: say again that we do not accept, and pass it on. Node accepts on a
        // received listener until it is closed, which is once it has gone: what it takes meanwhile is served here.
        server.on('connection', onAccept);
        server.on('error', ignoreServerError);
        sendWithCopy({ kind: 'full' }, server);
        return;
      }
      if (stopping) {
        server.close();
        return;
      }
      takeListener(server);
      return;
    }
    case 'lend':
      lendListener();
      return;
    case 'unlisten':
      closeListener();
      send({ kind: 'unlistened', generation: msg.generation });
      return;
    case 'conn': {
      const socket = handleArg as net.Socket | undefined;
      if (socket !== undefined) onAccept(socket);
      return;
    }
    case 'grant':
      for (let i = 0; i < msg.count; i++) {
        const socket = waiting.shift();
        if (socket === undefined) break;
        // Gone while it waited for the grant: admitted and closed at once, so the count stays exact.
        if (core?.serve(socket, msg.firstId + i) === false) {
          byClient.push(msg.firstId + i);
          scheduleFlush();
        }
      }
      maybeRoom();
      return;
    case 'deny':
      for (let i = 0; i < msg.count; i++) {
        const socket = waiting.shift();
        if (socket === undefined) break;
        core?.turnAway(socket, denial());
      }
      maybeRoom();
      return;
    case 'cap':
      atCap = msg.atCap;
      return;
    case 'evict': {
      const socket = core?.byId(msg.id);
      if (socket !== undefined) core?.closeByServer(socket, 'evicted');
      return;
    }
    case 'stop':
      stop();
      return;
  }
}

process.on('message', handle);

// Ctrl-C reaches the whole foreground process group: the primary stops us in order (its `stop` message, or the
// channel closing if it dies), so the signal itself must not kill us first and make a clean stop look like a crash.
process.on('SIGINT', () => undefined);

process.on('disconnect', () => {
  // The primary is gone (or let us go after `stop`): exiting closes every socket we still hold.
  process.exit(0);
});
