/**
 * Which target address and which source address each connect of a pool uses: targets round-robin; source
 * addresses round-robin, or, with a source schedule (sources added as a run grows), the address in force from the
 * n-th connect on.
 */
import type { PoolConfig, SourceStep, TargetAddress } from '../types/pool-config.js';

export class AddressRotation {
  private nextTarget = 0;
  private nextSource = 0;
  /** Position in `sourceSchedule`: connects only move forward through it. */
  private scheduleIdx = 0;

  /** `config.targets`: at least one. */
  constructor(private readonly config: Pick<PoolConfig, 'targets' | 'sourceAddresses' | 'sourceSchedule'>) {}

  /** The target of the next connect. */
  target(): TargetAddress {
    const targets = this.config.targets;
    return targets[this.nextTarget++ % targets.length] as TargetAddress;
  }

  /** The local address to bind the next connect to (undefined: the kernel chooses); `attempted` connects so far. */
  source(attempted: number): string | undefined {
    const schedule = this.config.sourceSchedule;
    if (schedule !== undefined && schedule.length > 0) {
      while (this.scheduleIdx + 1 < schedule.length && (schedule[this.scheduleIdx + 1] as SourceStep).fromConnection <= attempted) {
        this.scheduleIdx++;
      }
      return (schedule[this.scheduleIdx] as SourceStep).address ?? undefined;
    }
    const sources = this.config.sourceAddresses;
    return sources.length > 0 ? sources[this.nextSource++ % sources.length] : undefined;
  }
}
