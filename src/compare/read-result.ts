/**
 * Reading result documents back: from a file (`compare`, `ramp --baseline FILE`) or from one history line.
 *
 * A result may come from another tcpprobe version, a truncated copy or a wrong file, so it is checked before any
 * field is used: one clear sentence per problem (thrown as InputError, exit 2), never a stack trace. Only the
 * fields that compare, history, the gate and the OpenMetrics writer read are checked; everything else is carried
 * along untouched.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { RESULT_SCHEMA, RESULT_SCHEMA_VERSION, type RampResult } from '../metrics/result.js';
import { TOOL_VERSION } from '../version.js';

/**
 * Schema versions this tcpprobe can read. Only version 1 exists; when a version 2 appears, an upgrade function
 * from 1 goes here so old files and old history lines stay readable.
 */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [RESULT_SCHEMA_VERSION];

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isNumberOrNull(v: unknown): boolean {
  return v === null || isNumber(v);
}

/** The first field that does not have the expected shape, as "rate.absorbedPerSec", or null when all fit. */
function firstBadField(doc: Json): string | null {
  const target = doc.target;
  const verdict = doc.verdict;
  const rate = doc.rate;
  const latency = doc.connectLatencyMs;
  const histograms = doc.histograms;
  const checks: Array<[string, boolean]> = [
    ['startedAt', typeof doc.startedAt === 'string'],
    ['maxConcurrency', isNumber(doc.maxConcurrency) && doc.maxConcurrency >= 0],
    ['target', isObject(target)],
    ['target.host', isObject(target) && typeof target.host === 'string'],
    ['target.port', isObject(target) && isNumber(target.port)],
    ['verdict.kind', isObject(verdict) && typeof verdict.kind === 'string'],
    ['verdict.lowerBound', isObject(verdict) && typeof verdict.lowerBound === 'boolean'],
    ['rate.absorbedPerSec', isObject(rate) && isNumber(rate.absorbedPerSec)],
    ['failures', Array.isArray(doc.failures)],
    ['connectLatencyMs', isObject(latency) && isNumber(latency.count)],
    ['connectLatencyMs.p50', isObject(latency) && isNumberOrNull(latency.p50)],
    ['connectLatencyMs.p90', isObject(latency) && isNumberOrNull(latency.p90)],
    ['connectLatencyMs.p99', isObject(latency) && isNumberOrNull(latency.p99)],
    ['timeToMaxMs', doc.timeToMaxMs === undefined || isNumberOrNull(doc.timeToMaxMs)],
    ['histograms', histograms === undefined || isObject(histograms)],
    ['timeline', Array.isArray(doc.timeline)],
  ];
  for (const [name, ok] of checks) if (!ok) return name;
  const timeline = doc.timeline as unknown[];
  const bad = timeline.findIndex((s) => !isObject(s) || !isNumber(s.tMs) || !isNumber(s.held));
  return bad >= 0 ? `timeline[${bad}]` : null;
}

/**
 * Check that a parsed JSON value is a ramp result this tcpprobe can read, and return it typed.
 * `where` names the source in messages: `"before.json"` or `history.jsonl line 7`.
 * @throws InputError naming `where` and the first problem found.
 */
export function parseRampResult(value: unknown, where: string): RampResult {
  if (!isObject(value) || value.schema !== RESULT_SCHEMA) {
    throw new InputError(`${where} is not a tcpprobe result (no "schema": "${RESULT_SCHEMA}")`);
  }
  const version = value.schemaVersion;
  if (!isNumber(version) || !READABLE_SCHEMA_VERSIONS.includes(version)) {
    const newest = Math.max(...READABLE_SCHEMA_VERSIONS);
    const hint = isNumber(version) && version > newest ? 'written by a newer tcpprobe: upgrade to read it' : 'not readable by this tcpprobe';
    throw new InputError(
      `${where} is a tcpprobe result of schema version ${JSON.stringify(version ?? null)}; ` +
        `this tcpprobe ${TOOL_VERSION} reads version ${READABLE_SCHEMA_VERSIONS.join(', ')} (${hint})`,
    );
  }
  if (value.kind !== 'ramp') {
    throw new InputError(`${where} is a "${String(value.kind)}" result; only ramp results can be compared or saved`);
  }
  const bad = firstBadField(value);
  if (bad !== null) throw new InputError(`${where} is a damaged tcpprobe result: "${bad}" is missing or malformed`);
  // Every field read downstream was checked above; the rest is carried through as written.
  return value as unknown as RampResult;
}

/**
 * Read and check a result file written by `ramp --json` or `--out`.
 * @throws InputError with one line: missing, unreadable, not JSON, not a tcpprobe ramp result, other schema version.
 */
export function readResultFile(path: string): RampResult {
  const where = `"${path}"`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${where}: no such file`);
    if (code === 'EISDIR') throw new InputError(`${where} is a directory, not a result file`);
    throw new InputError(`cannot read ${where}: ${code ?? 'error'}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // The parser's message may quote bytes of the file: keep it short and printable.
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    const detail = (e as Error).message.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 80);
    throw new InputError(`${where} is not JSON (${detail})`);
  }
  return parseRampResult(value, where);
}
