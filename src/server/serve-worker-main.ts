/**
 * Entry of one worker process of `tcpprobe serve --workers N`; forked by src/server/multi-process.ts, never
 * imported. It accepts on its copy of the shared listening socket and, with a cap, asks the primary to admit what it
 * accepted (one `want` per batch); without one it admits at once and reports the number. It holds what was
 * admitted: greeting, echo or discard, close after `closeAfterMs`, and a report of every close (batched) so the
 * primary's global count stays exact. What was denied gets the over-limit treatment here (message and FIN, or RST).
 *
 * It stops accepting before its open-files limit (`maxHeld`) and says so. It exits when the primary asks it to stop,
 * and also when the primary goes away however it went (the IPC channel disconnects): the kernel then closes every
 * socket it held.
 */
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { FifoQueue } from '../engine/fifo-queue.js';
import { parseOpenFilesLimit } from '../preflight/proc-parse.js';
import type { FromServeWorker, ServeWorkerSettings, ToServeWorker } from './serve-protocol.js';

/** Longest a report (want, opened, closed) waits to be batched with others, in milliseconds. */
const FLUSH_MS = 2;
/** How often closeAfterMs deadlines are checked (as in the single-process server). */
const SWEEP_INTERVAL_MS = 20;
/** Fds kept free below the open-files limit: IPC, stdio, the listener, Node's own. */
const FD_RESERVE = 100;
/** Accept again once this far below `maxHeld` (a twentieth, at most 500), so a worker at its limit does not flap. */
function resumeMargin(): number {
  return Math.min(500, Math.ceil(maxHeld / 20));
}

const enum HeldState {
  Waiting,
  Open,
  /** Closed by this server (closeAfterMs or an eviction); already reported or already counted by the primary. */
  ClosedByServer,
  Gone,
}

const ID = Symbol('tcpprobe.serve.id');
const STATE = Symbol('tcpprobe.serve.state');
const ACCEPTED_AT = Symbol('tcpprobe.serve.acceptedAt');
type HeldSocket = net.Socket & { [ID]: number; [STATE]: HeldState; [ACCEPTED_AT]: number };

let settings: ServeWorkerSettings | null = null;
let greeting: Buffer | null = null;
let overLimitMessage: Buffer | null = null;
let maxHeld = 0;
let listener: net.Server | null = null;
let full = false;
/** Accepted, waiting for the primary's grant or deny, oldest first. */
const waiting = new FifoQueue<HeldSocket>();
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
/** Admitted and open, by id. */
const held = new Map<number, HeldSocket>();
const deadlines = new FifoQueue<HeldSocket>();
let sweepTimer: NodeJS.Timeout | null = null;
let byClient: number[] = [];
let byServer: number[] = [];
let flushScheduled = false;
let stopping = false;

function send(msg: FromServeWorker): void {
  if (process.connected) process.send?.(msg);
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

function onAccept(raw: net.Socket): void {
  const socket = raw as HeldSocket;
  socket[ID] = 0;
  socket[STATE] = HeldState.Waiting;
  socket[ACCEPTED_AT] = performance.now();
  socket.on('error', onError);
  if (stopping) {
    socket.resetAndDestroy();
    return;
  }
  if (settings?.capped === false) {
    admit(socket, nextOwnId++);
    opened++;
  } else if (atCap) {
    deny(socket);
    deniedHere++;
  } else {
    waiting.push(socket);
    wanted++;
  }
  scheduleFlush();
  if (!full && held.size + waiting.length >= maxHeld) {
    full = true;
    closeListener();
    flush(); // what we accepted reaches the primary before the news that we stopped
    send({ kind: 'full' });
  }
}

function closeListener(): void {
  listener?.close();
  listener = null;
}

function maybeRoom(): void {
  if (full && held.size + waiting.length <= maxHeld - resumeMargin()) {
    full = false;
    send({ kind: 'room' });
  }
}

function admit(socket: HeldSocket, id: number): void {
  socket[ID] = id;
  if (socket.destroyed) {
    // Gone while it waited for the grant: admitted and closed at once, so the count stays exact.
    socket[STATE] = HeldState.Gone;
    byClient.push(id);
    scheduleFlush();
    return;
  }
  socket[STATE] = HeldState.Open;
  held.set(id, socket);
  socket.on('end', onEnd);
  socket.on('close', onClose);
  if (settings?.echo === true) {
    socket.on('data', onEchoData);
    socket.on('drain', onEchoDrain);
  } else {
    socket.resume(); // flowing with no 'data' listener: read and discard, and notice the client's FIN
  }
  if (greeting !== null) socket.write(greeting);
  if (settings?.closeAfterMs != null) deadlines.push(socket);
}

function deny(socket: HeldSocket): void {
  socket[STATE] = HeldState.Gone;
  if (socket.destroyed) return;
  if (settings?.denial === 'close') {
    if (overLimitMessage !== null) socket.write(overLimitMessage);
    socket.resume(); // read and discard, so the close is not turned into a reset by unread data
    socket.destroySoon();
  } else {
    socket.resetAndDestroy();
  }
}

/** The client closed (FIN) or reset an admitted connection: report it once. */
function clientGone(socket: HeldSocket): void {
  if (socket[STATE] !== HeldState.Open) return;
  socket[STATE] = HeldState.Gone;
  held.delete(socket[ID]);
  byClient.push(socket[ID]);
  scheduleFlush();
  maybeRoom();
}

/** Graceful close by the server; `report` is false for evictions, which the primary has already counted. */
function closeByServer(socket: HeldSocket, report: boolean): void {
  if (socket[STATE] !== HeldState.Open) return;
  socket[STATE] = HeldState.ClosedByServer;
  held.delete(socket[ID]);
  if (report) {
    byServer.push(socket[ID]);
    scheduleFlush();
  }
  socket.destroySoon();
  maybeRoom();
}

const sweep = (): void => {
  const closeAfterMs = settings?.closeAfterMs ?? null;
  if (closeAfterMs === null) return;
  const dueBefore = performance.now() - closeAfterMs;
  for (let s = deadlines.peek(); s !== undefined; s = deadlines.peek()) {
    if (s[STATE] === HeldState.Open && s[ACCEPTED_AT] > dueBefore) break;
    deadlines.shift();
    closeByServer(s, true);
  }
};

/** Reset everything (no TIME_WAIT left on this machine), tell the primary, and let the channel go. */
function stop(): void {
  if (stopping) return;
  stopping = true;
  closeListener();
  if (sweepTimer !== null) clearInterval(sweepTimer);
  const all = [...held.values()];
  for (let s = waiting.shift(); s !== undefined; s = waiting.shift()) all.push(s);
  held.clear();
  for (const socket of all) {
    socket[STATE] = HeldState.Gone;
    if (socket.destroyed) continue;
    // Not after end(): while that shutdown is pending libuv refuses the reset (see target-server.ts).
    if (socket.writableEnded) socket.destroy();
    else socket.resetAndDestroy();
  }
  send({ kind: 'stopped' });
  setImmediate(() => process.disconnect?.());
}

/* Shared socket handlers: one function object per event for all sockets; `this` is the socket. */
function onError(this: net.Socket): void {
  // Clients reset all the time; 'close' follows every 'error' and does the counting.
}
function onEnd(this: net.Socket): void {
  clientGone(this as HeldSocket);
}
function onClose(this: net.Socket): void {
  clientGone(this as HeldSocket);
}
function onEchoData(this: net.Socket, chunk: Buffer): void {
  // A client that sends but does not read must not grow our write buffer without bound.
  if (!this.write(chunk)) this.pause();
}
function onEchoDrain(this: net.Socket): void {
  this.resume();
}
function ignoreServerError(): void {
  // accept() errors (EMFILE with a limit lower than we thought): the listener goes on; maxHeld keeps us below it.
}

function handle(msg: ToServeWorker, handleArg: unknown): void {
  switch (msg.kind) {
    case 'start':
      settings = msg.settings;
      greeting = settings.greeting === null ? null : Buffer.from(settings.greeting, 'utf8');
      overLimitMessage = settings.overLimitMessage === null ? null : Buffer.from(settings.overLimitMessage, 'utf8');
      maxHeld = settings.maxHeld ?? ownOpenFilesLimit() - FD_RESERVE;
      if (settings.closeAfterMs !== null) sweepTimer = setInterval(sweep, SWEEP_INTERVAL_MS);
      send({ kind: 'ready', pid: process.pid, maxHeld });
      return;
    case 'listen': {
      const server = handleArg as net.Server | undefined;
      if (server === undefined) return;
      closeListener();
      if (stopping || full) {
        server.close();
        if (full) send({ kind: 'full' }); // it crossed our report on the way: say again that we do not accept
        return;
      }
      listener = server;
      server.on('connection', onAccept);
      server.on('error', ignoreServerError);
      return;
    }
    case 'lend':
      if (listener !== null && process.connected) process.send?.({ kind: 'listener' } satisfies FromServeWorker, listener);
      else send({ kind: 'listener' });
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
        admit(socket, msg.firstId + i);
      }
      maybeRoom();
      return;
    case 'deny':
      for (let i = 0; i < msg.count; i++) {
        const socket = waiting.shift();
        if (socket === undefined) break;
        deny(socket);
      }
      maybeRoom();
      return;
    case 'cap':
      atCap = msg.atCap;
      return;
    case 'evict': {
      const socket = held.get(msg.id);
      if (socket !== undefined) closeByServer(socket, false);
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
