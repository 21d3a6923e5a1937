/**
 * The in-flight cap: starts connects while fewer than `maxInflight` are unfinished. Asked-for connects are only a
 * count until they start, so a queue of 100,000 costs nothing. Completions do not start a connect each; they
 * schedule one refill per event-loop turn, which then starts as many as there are free slots: many connects per
 * turn is measurably faster than one per completion (see README, Performance). p-limit did the same job with a
 * promise and a closure per connection, which cost about a third more time per connect here.
 */
export class Opener {
  private pending = 0;
  private inflight = 0;
  private refillScheduled = false;

  constructor(
    private readonly maxInflight: number,
    /** Start one connect; the caller reports its end with finished(). */
    private readonly startOne: () => void,
  ) {}

  /** Connects asked for and not started. */
  get queued(): number {
    return this.pending;
  }

  /** Connects started and not finished. */
  get active(): number {
    return this.inflight;
  }

  /** Ask for `count` more connects; as many as fit start now, in this turn. */
  add(count: number): void {
    this.pending += count;
    this.refill();
  }

  /** One started connect finished (either way): its slot is free from the next turn on. */
  finished(): void {
    this.inflight--;
    if (this.pending > 0 && !this.refillScheduled) {
      this.refillScheduled = true;
      setImmediate(this.refill);
    }
  }

  /** Drop what has not started; returns how many were dropped. */
  clear(): number {
    const dropped = this.pending;
    this.pending = 0;
    return dropped;
  }

  private readonly refill = (): void => {
    this.refillScheduled = false;
    while (this.pending > 0 && this.inflight < this.maxInflight) {
      this.pending--;
      this.inflight++;
      this.startOne();
    }
  };
}
