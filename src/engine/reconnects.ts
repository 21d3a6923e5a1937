/**
 * Reopening what the server closed (--reconnect): whether a lost connection is reopened, when each reopen is due,
 * and how many handed to the opener have not started yet, so that the next starts are marked as replacements
 * (they count in `queued` from the close on, never in `requested`: a replacement is not a new connection). The
 * counters themselves are the tally's (pool-tally.ts); ConnectionPool drives both.
 */
import type { PoolConfig } from '../types/pool-config.js';
import type { FailurePhase } from '../types/pool-counters.js';
import { FifoQueue } from './fifo-queue.js';

export class Reconnects {
  /** When each pending reopen is due (the reconnect delay is constant, so the list stays sorted). */
  private readonly dueAt = new FifoQueue<number>();
  /** Replacements handed to the opener and not started yet. */
  private handedOver = 0;
  private paused = false;

  constructor(private readonly policy: Pick<PoolConfig, 'reconnect' | 'reconnectHeldOnly' | 'reconnectDelayMs'>) {}

  /**
   * Whether a connection that failed in `phase` is reopened: with --reconnect and not paused, a held one always,
   * any other unless only held ones are (a ramp: a failed new connect is its signal, not something to retry).
   */
  reopens(phase: FailurePhase): boolean {
    return this.policy.reconnect && !this.paused && (phase === 'held' || this.policy.reconnectHeldOnly !== true);
  }

  /** Reopen one after the reconnect delay, counted from `now` (performance.now()). */
  schedule(now: number): void {
    this.dueAt.push(now + this.policy.reconnectDelayMs);
  }

  /** Pause reopening, or go on. Returns how many pending reopens a pause dropped. */
  pause(paused: boolean): number {
    this.paused = paused;
    if (!paused) return 0;
    const dropped = this.dueAt.length;
    this.dueAt.clear();
    return dropped;
  }

  /** Drop every pending reopen (opening stopped). */
  clear(): void {
    this.dueAt.clear();
  }

  /** Take the next reopen due by `now` off the list, as handed to the opener; false when none is due. */
  takeDue(now: number): boolean {
    const at = this.dueAt.peek();
    if (at === undefined || at > now) return false;
    this.dueAt.shift();
    this.handedOver++;
    return true;
  }

  /** Whether the connect starting now is a replacement (one handed over and not started yet). */
  startsReplacement(): boolean {
    if (this.handedOver === 0) return false;
    this.handedOver--;
    return true;
  }

  /** The opener dropped `count` queued connects: how many of them were replacements (no longer to start). */
  dropStarts(count: number): number {
    const replacements = Math.min(count, this.handedOver);
    this.handedOver -= replacements;
    return replacements;
  }
}
