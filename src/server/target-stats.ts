/**
 * The one stats shape of the built-in target, whether one process serves (target-server.ts) or a primary with
 * worker processes (multi-process.ts), and the counts both keep to fill it.
 */

/**
 * Counters of the server. Until close(), `accepted === open + closedByClient + closedByServer`; the teardown by
 * close() is not counted as closes.
 */
export interface TargetServerStats {
  /** Served connections (admitted within the cap) open now. */
  open: number;
  peakOpen: number;
  /** Connections admitted within the cap, ever (in 'evict' mode, also those that pushed out the oldest). */
  accepted: number;
  /**
   * Connections that arrived at the cap and got the mode's treatment: closed ('close'), reset ('reset', and in
   * 'refuse' mode the rest of an accept batch), or admitted by evicting the oldest ('evict'). Always 0 in 'ignore'
   * mode: the kernel holds those, the application never sees them.
   */
  overLimit: number;
  /** Served connections the client closed or reset. */
  closedByClient: number;
  /** Served connections the server closed: evictions and `closeAfterMs`. */
  closedByServer: number;
  /** The server is listening and calling accept() now. */
  accepting: boolean;
}

/** What a target counts as it goes: the stats less what is read at the moment (open now, accepting). */
export type ServeCounts = Omit<TargetServerStats, 'open' | 'accepting'>;

export function emptyServeCounts(): ServeCounts {
  return { peakOpen: 0, accepted: 0, overLimit: 0, closedByClient: 0, closedByServer: 0 };
}

export function targetStats(open: number, counts: ServeCounts, accepting: boolean): TargetServerStats {
  return { open, ...counts, accepting };
}
