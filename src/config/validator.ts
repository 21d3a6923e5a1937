/**
 * Validate once, report everything: each flag is parsed through `field`, which records a problem instead of
 * throwing, so a command line with three mistakes gets one error naming all three.
 */
import { UsageError } from '../errors.js';

export class Validator {
  private readonly problems: string[] = [];

  /** Parse one value; on a UsageError record it and return `fallback`. */
  field<T>(parse: () => T, fallback: T): T {
    try {
      return parse();
    } catch (e) {
      if (e instanceof UsageError) {
        this.problems.push(...e.problems);
        return fallback;
      }
      throw e;
    }
  }

  /** Record a problem found by a cross-field check. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throw one UsageError listing every problem, if any. */
  done(): void {
    if (this.problems.length > 0) throw new UsageError(this.problems);
  }
}

/** Optional string flag: undefined stays undefined, anything else goes through `parse`. */
export function optional<T>(raw: unknown, parse: (s: string) => T): T | null {
  return raw === undefined || raw === null ? null : parse(String(raw));
}
