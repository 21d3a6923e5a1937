/**
 * What became of each connect's first SYN, counted by when the connect started: the evidence a new-connection
 * rate limit leaves on this side. A limiter that drops SYNs beyond its rate leaves connects that complete only
 * after the kernel resent their SYN (1 s later here) or time out; one that refuses them leaves ECONNREFUSED. Read
 * by controller/detect.ts (`newConnectionRate`); kept by the engine (engine/first-syn-tally.ts). Data only.
 */

/** First-SYN outcomes in bins of `binMs` by connect start time; index i is bin `fromBin + i` since the pool started. */
export interface FirstSynBins {
  binMs: number;
  fromBin: number;
  /** Connects whose first SYN was answered: the handshake completed with no SYN resent. */
  passed: number[];
  /** Connects whose first SYN went unanswered: completed only after the kernel resent it, or timed out. */
  dropped: number[];
  /** Connects refused (RST to the SYN). */
  refused: number[];
}

/** Where the first-SYN outcomes of a pool can be read while it runs. */
export interface FirstSynLog {
  readonly binMs: number;
  /** The bin the pool's clock is in now: connects started from now on land in it or later ones. */
  nowBin(): number;
  /** The bins from `fromBin` (or the oldest kept) to now (a copy). */
  since(fromBin: number): FirstSynBins;
  /** Connects turned away at their first SYN (dropped or refused) over the pool's life. */
  turnedAway(): number;
}
