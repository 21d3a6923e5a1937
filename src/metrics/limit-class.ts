/**
 * Which failure class marks a ramp's limit: a domain rule read off one result document, used by the summary
 * (src/reporters/ramp-summary.ts) and by comparisons (src/compare/compare-results.ts). Pure.
 */
import { isClientSide, type FailureClass } from '../types/failure-class.js';
import type { RampResult } from './result.js';

/**
 * The server-side class that marks the limit: the most frequent one, leaving out classes that only showed up as
 * rate limits (those stopped when the ramp slowed, so they are not the concurrency limit) unless nothing else is
 * left. Null when there were no server-side failures.
 */
export function limitFailureClass(result: RampResult): FailureClass | null {
  const server = result.failures.filter((f) => !isClientSide(f.class));
  const rateClasses = new Set(result.rate.rateLimits.map((r) => r.failureClass));
  const persistent = server.filter((f) => !rateClasses.has(f.class));
  const pool = persistent.length > 0 ? persistent : server;
  const best = [...pool].sort((a, b) => b.count - a.count || a.first.atMs - b.first.atMs)[0];
  return best?.class ?? result.firstFailure?.class ?? null;
}
