/**
 * One name for a target everywhere: the result's `target.name` (set by `ramp --name`, `hold --name` or the audit
 * target's `name`), else its host:port. The history groups runs into series by it, the baseline is picked from
 * its series, and OpenMetrics, JUnit, Markdown and the HTML report all label the target with it. Pure.
 *
 * Results written before names existed have none: an audit's run has its target's name in `audit.name`, a plain
 * ramp's is known by host:port, so old history files keep their series.
 */
import type { TargetInfo } from './result.js';

/** What a name is read from: a ramp or hold result, or a history record's result. */
export interface Named {
  target: Pick<TargetInfo, 'host' | 'port' | 'name'>;
  audit?: { name: string };
}

/** "host:port", with IPv6 literals in brackets so the port stays unambiguous. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The target info a run records: its name added when it has one. */
export function namedTarget(info: TargetInfo, name: string | undefined): TargetInfo {
  return name === undefined ? info : { ...info, name };
}

/** The name a run was given (--name, or its audit target's), or null for an unnamed run. */
export function givenName(r: Named): string | null {
  return r.target.name ?? r.audit?.name ?? null;
}

/** The run's host:port, as given. */
export function targetAddress(r: Named): string {
  return formatHostPort(r.target.host, r.target.port);
}

/** The target's one name: the name it was given, else its host:port. */
export function seriesName(r: Named): string {
  return givenName(r) ?? targetAddress(r);
}
