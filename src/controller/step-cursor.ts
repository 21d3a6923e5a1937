/**
 * Walking a step plan (plan.ts) as time passes: what the ramp's fixed stages and the hold's opening schedule both
 * do each tick.
 */
import type { PlanStep } from './plan.js';

export class StepCursor {
  private next = 0;

  constructor(private readonly steps: readonly PlanStep[]) {}

  /** The total the latest step due by `nowMs` asks for, consuming every step due; -1 when none fell due. */
  dueBy(nowMs: number): number {
    let wanted = -1;
    for (let step = this.steps[this.next]; step !== undefined && step.atMs <= nowMs; step = this.steps[this.next]) {
      wanted = step.total;
      this.next++;
    }
    return wanted;
  }
}
