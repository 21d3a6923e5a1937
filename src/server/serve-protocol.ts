/**
 * The messages between the primary of `tcpprobe serve --workers N` (src/server/multi-process.ts) and its worker
 * processes (src/server/serve-worker-main.ts). Small and explicit, and batched: a worker asks admission for every
 * connection it accepted in one event-loop turn with one `want`, and the primary answers each `want` with one
 * `grant` (and one `deny` for the rest, at the cap).
 */

import type { EngineName } from '../types/pool-config.js';

/** What a worker needs to serve the connections it admits. */
export interface ServeWorkerSettings {
  /** Written to every admitted connection; null for none. */
  greeting: string | null;
  /** Echo back what clients send; otherwise input is read and discarded. */
  echo: boolean;
  /** Close (FIN) each admitted connection this many milliseconds after it was accepted; null for never. */
  closeAfterMs: number | null;
  /** What a denied connection gets: FIN after `overLimitMessage` ('close'), or RST ('reset'). */
  denial: 'close' | 'reset';
  overLimitMessage: string | null;
  /** The shared listening socket's backlog, kept when a worker lends a copy made by the native core. */
  backlog: number;
  /**
   * Admission is the primary's (there is a cap): ask with `want`, wait for `grant` or `deny`. Without a cap the
   * worker admits at once and only reports `opened`, which saves a round trip per batch of connections.
   */
  capped: boolean;
  /**
   * Connections (admitted or waiting) at which the worker stops accepting, below its open-files limit; it accepts
   * again from `resumeAt` on. Null: read the limit of the worker's own process.
   */
  maxHeld: number | null;
}

/** Primary to worker. `listen` and `conn` carry a handle (a listening server, a connected socket). */
export type ToServeWorker =
  | { kind: 'start'; settings: ServeWorkerSettings }
  /** Accept on this listening socket (a copy of the primary's), replacing any earlier one. */
  | { kind: 'listen'; generation: number }
  /** Close your copy of the listening socket (refuse mode at the cap); answer `unlistened`. */
  | { kind: 'unlisten'; generation: number }
  /** Send me a copy of your listening socket (`listener`), for a worker that has room again but no copy. */
  | { kind: 'lend' }
  /** A connection the primary accepted itself (rare: while it handed a new listener out); treat as accepted. */
  | { kind: 'conn' }
  /** Admit your `count` oldest waiting connections, numbering them firstId, firstId + 1, ... */
  | { kind: 'grant'; firstId: number; count: number }
  /** Turn away your `count` oldest waiting connections (the over-limit treatment of the settings). */
  | { kind: 'deny'; count: number }
  /**
   * The global count reached the cap (`atCap: true`, close/reset/refuse modes): turn away what you accept from now
   * on at once, without asking, and report it with `denied`; or it fell below (`atCap: false`): ask again. Denying
   * never lets more in, so acting on a stale `true` only turns away a connection that a slot freed a moment ago;
   * a stale `false` costs the round trip it always did.
   */
  | { kind: 'cap'; atCap: boolean }
  /** Close this admitted connection (FIN): the primary already counted it as closed by the server. */
  | { kind: 'evict'; id: number }
  /** Reset everything, answer `stopped`, then exit. */
  | { kind: 'stop' };

/** Worker to primary. */
export type FromServeWorker =
  /** `engine`: whose sockets hold the connections, the native core's or Node's (native-serving.ts). */
  | { kind: 'ready'; pid: number; maxHeld: number; engine: EngineName }
  /** `count` more connections accepted and waiting for admission (with a cap). */
  | { kind: 'want'; count: number }
  /** `count` more connections accepted and turned away at once, at the cap (after `cap` with `atCap: true`). */
  | { kind: 'denied'; count: number }
  /** `count` more connections accepted and admitted (without a cap). */
  | { kind: 'opened'; count: number }
  /**
   * Admitted connections that closed since the last report, by who closed them: the ids of the grants with a cap;
   * without one, ids the worker numbered itself (only their number matters).
   */
  | { kind: 'closed'; byClient: number[]; byServer: number[] }
  | { kind: 'unlistened'; generation: number }
  /** Answer to `lend`, with a copy of the listening socket attached (none if it no longer has one). */
  | { kind: 'listener' }
  /**
   * Stopped accepting at `maxHeld` (`listening: false`), with its copy of the listening socket attached (if it had
   * one) for a worker with room: the socket never closes in between. Or has room again (`listening` still false).
   */
  | { kind: 'full' }
  | { kind: 'room' }
  | { kind: 'stopped' };
