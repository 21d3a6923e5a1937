/**
 * Which failure class marks a ramp's limit: a domain rule read off one result document, used by the summary
 * (src/reporters/ramp-summary.ts) and by comparisons (src/compare/compare-results.ts). Pure.
 */
import { isClientSide, type FailureClass } from '../types/failure-class.js';
import type { RampResult, ResultFailureRecord } from './result.js';

/** What limitFailure reads: the failures by class, the rate limits found and the first failure. */
export type LimitFailureInput = Pick<RampResult, 'failures' | 'firstFailure'> & { rate: { rateLimits: readonly RampResult['rate']['rateLimits'][number][] } };

/**
 * The failure that marks the limit: the first of the server-side class seen most often, leaving out classes that
 * only showed up as rate limits (those stopped when the ramp slowed, so they are not the concurrency limit) unless
 * nothing else is left; the first failure when there were no server-side failures; null without failures. The
 * ramp's verdict sentence (controller/ramp.ts hands it on) and the summary's headline both name this one.
 */
export function limitFailure(result: LimitFailureInput): ResultFailureRecord | null {
  const server = result.failures.filter((f) => !isClientSide(f.class));
  const rateClasses = new Set(result.rate.rateLimits.map((r) => r.failureClass));
  const persistent = server.filter((f) => !rateClasses.has(f.class));
  const pool = persistent.length > 0 ? persistent : server;
  const best = [...pool].sort((a, b) => b.count - a.count || a.first.atMs - b.first.atMs)[0];
  return best?.first ?? result.firstFailure;
}

/** The class of limitFailure: the one the summary and comparisons name as the limit. Null without failures. */
export function limitFailureClass(result: LimitFailureInput): FailureClass | null {
  return limitFailure(result)?.class ?? null;
}
