/**
 * Counting this process's open file descriptors, cheaply: the preflight reads it once, and every process of a run
 * samples its own peak with its telemetry (drivers/process-use.ts). A module of its own, so a worker process does
 * not load the rest of the preflight for it.
 */
import { readdirSync, statSync } from 'node:fs';

/**
 * File descriptors this process has open right now, or null where /proc/self/fd does not exist; throws EMFILE when
 * none is left to count with (on a kernel before 6.2, where the count needs a listing). Since Linux 6.2
 * the directory's size is the count, read without listing it: listing 5,000 took 116 ms here against 0.25 ms for
 * the size, and each worker process of a million-connection run listed its 20,000 every second. Listing opens one
 * descriptor of its own, which is not counted.
 */
export function currentFdCount(): number | null {
  try {
    const size = statSync('/proc/self/fd').size;
    if (size > 0) return size;
    return Math.max(0, readdirSync('/proc/self/fd').length - 1);
  } catch (e) {
    // No descriptor left to list with: say so to a caller that can tell what that means.
    if ((e as NodeJS.ErrnoException).code === 'EMFILE') throw e;
    return null;
  }
}
