/**
 * The audit file (`tcpprobe audit FILE`): YAML text -> one frozen AuditPlan, or one UsageError naming every problem
 * by its path in the file (`targets[2].port: ...`). Pure: no I/O besides what the ramp's own option reader does for
 * `send: @FILE` and `ca`. Each target goes through readRampOptions, the reader of `ramp`'s flags, so a key means
 * what the flag of the same name means.
 */
import { parseDocument } from 'yaml';
import { flagToKey, RAMP_KEYS, toFlags } from '../config/camel-flags.js';
import { readRampOptions, type RampOptions } from '../config/ramp-options.js';
import { parseCount, TARGET_NAME_PATTERN } from '../config/units.js';
import { Validator } from '../config/validator.js';
import { UsageError } from '../errors.js';
import { labelNameProblem, type MetricLabel } from '../reporters/openmetrics.js';
import { AUDIT_DEFAULTS, parseMaxRegression } from './post-run-audit.js';

/** One target of the audit, validated. */
export interface AuditTarget {
  name: string;
  /** The ramp, exactly as `tcpprobe ramp` with the same flags would run it (quiet, no chart). */
  options: Readonly<RampOptions>;
  /** Allowed drop against the target's baseline, a share (0.1 = 10%); null: the change is reported, never gated. */
  maxRegressionShare: number | null;
  /** The max must be at least this, or null. */
  minConnections: number | null;
  /** Defaults' labels, then the target's own (a target's value wins), sorted by name. */
  labels: MetricLabel[];
  /** The ramp keys as written (defaults merged), for the report; an inline `send` by its length only. */
  settings: Record<string, string | number | boolean>;
}

export interface AuditPlan {
  targets: AuditTarget[];
  /** The baseline is the best of this many recent passing runs of the same target (top-level `baselineRuns`). */
  baselineRuns: number;
}

/**
 * What an audit target does unlike a plain `ramp` unless its file says otherwise. `confirm`: an audit's number goes
 * into the history and gates regressions, so the found edge is re-run (the confirmation stage); measured on this
 * machine it costs about 3 s plus 2 s per 1,000 connections found (docs/how-it-decides.md). `confirm: false` turns
 * it off.
 */
export const AUDIT_TARGET_DEFAULTS = { confirm: true } as const;

/** Keys a target (or `defaults`) may have besides the ramp's. */
const GATE_KEYS = ['maxRegression', 'minConnections', 'labels'] as const;
const TOP_KEYS = new Set(['defaults', 'targets', 'baselineRuns']);

type Scalar = string | number | boolean;
type Mapping = Record<string, unknown>;

function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/**
 * A problem from the ramp's reader ("--max-duration: ...") in the file's words: the leading flag becomes the path
 * of the key that set it (the target's own, else `defaults.`), other flags their key names.
 */
function inFileWords(problem: string, targetPath: string, own: Mapping, defaults: Mapping): string {
  const lead = /^--([a-z][a-z-]*)|^([A-Za-z]\w*)(?=: not an option)/.exec(problem);
  let text = problem;
  if (lead !== null) {
    const key = lead[1] === undefined ? (lead[2] as string) : flagToKey(lead[1]);
    const path = key in own || !(key in defaults) ? `${targetPath}.${key}` : `defaults.${key}`;
    text = `${path}${problem.slice(lead[0].length)}`;
  }
  return text.replace(/--([a-z][a-z-]*)/g, flagToKey);
}

function readLabels(raw: unknown, path: string, v: Validator): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isMapping(raw)) {
    v.problem(`${path}: must be a mapping of label names to values`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    // `target` (the name) and `address` (host:port) are set by the textfile itself: labelNameProblem says so.
    const problem = labelNameProblem(name);
    if (problem !== null) v.problem(`${path}.${name}: ${problem}`);
    else if (!isScalar(value)) v.problem(`${path}.${name}: must be a string, number or boolean`);
    else out[name] = String(value);
  }
  return out;
}

/** What the report may show of a setting: an inline `send` can carry a password, so only its length. */
function shownSetting(key: string, value: Scalar): Scalar {
  if (key === 'send' && typeof value === 'string' && !value.startsWith('@')) return `(${Buffer.byteLength(value)} bytes)`;
  return value;
}

function readTarget(raw: unknown, index: number, defaults: Mapping, v: Validator): AuditTarget | null {
  const path = `targets[${index}]`;
  if (!isMapping(raw)) {
    v.problem(`${path}: must be a mapping (name, host, port, ...)`);
    return null;
  }
  const name = raw.name;
  if (name === undefined) v.problem(`${path}.name: required`);
  else if (typeof name !== 'string' || !TARGET_NAME_PATTERN.test(name)) {
    v.problem(`${path}.name: ${JSON.stringify(name)} is not a name (letters, digits, ".", "_", "-"; at most 64)`);
  }
  const merged: Mapping = { ...defaults, ...raw };
  const rampInput: Mapping = {};
  const settings: Record<string, Scalar> = {};
  for (const [key, value] of Object.entries(merged)) {
    if (key === 'name' || (GATE_KEYS as readonly string[]).includes(key)) continue;
    const keyPath = key in raw ? `${path}.${key}` : `defaults.${key}`;
    if (!RAMP_KEYS.has(key)) {
      v.problem(`${keyPath}: not an option (a ramp flag in camelCase, or ${['name', ...GATE_KEYS].join(', ')})`);
    } else if (value === null || !isScalar(value)) {
      v.problem(`${keyPath}: must be a string, number or boolean`);
    } else {
      rampInput[key] = value;
      settings[key] = shownSetting(key, value);
    }
  }
  for (const [key, value] of Object.entries(AUDIT_TARGET_DEFAULTS)) if (!(key in merged)) rampInput[key] = value;
  // The target's name is its run's name (`target.name`), as `ramp --name` gives it: one series for both.
  if (typeof name === 'string' && TARGET_NAME_PATTERN.test(name)) rampInput.name = name;
  const flags = toFlags(rampInput, RAMP_KEYS);
  flags.chart = false;
  let options: Readonly<RampOptions> | null = null;
  try {
    options = readRampOptions(flags);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    for (const p of e.problems) v.problem(inFileWords(p, path, raw, defaults));
  }
  const gateValue = (key: string): { value: unknown; path: string } =>
    key in raw ? { value: raw[key], path: `${path}.${key}` } : { value: defaults[key], path: `defaults.${key}` };
  const mr = gateValue('maxRegression');
  const maxRegressionShare =
    mr.value === undefined || mr.value === null ? null : v.field(() => parseMaxRegression(mr.path, String(mr.value)), null);
  const mc = gateValue('minConnections');
  let minConnections: number | null = null;
  if (mc.value !== undefined && mc.value !== null) {
    minConnections = v.field(() => parseCount(mc.path, String(mc.value)), null);
    if (minConnections !== null && minConnections < 1) v.problem(`${mc.path}: must be at least 1`);
  }
  const labels = { ...readLabels(defaults.labels, 'defaults.labels', v), ...readLabels(raw.labels, `${path}.labels`, v) };
  if (options === null || typeof name !== 'string') return null;
  return {
    name,
    options,
    maxRegressionShare,
    minConnections,
    labels: Object.keys(labels)
      .sort()
      .map((n) => ({ name: n, value: labels[n] as string })),
    settings,
  };
}

/** The YAML's own syntax errors, with line and column. */
function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new UsageError(
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const message = (e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '');
        return `${file}${at === undefined ? '' : `:${at.line}:${at.col}`}: ${message}`;
      }),
    );
  }
  return doc.toJS() as unknown;
}

/**
 * Read an audit file's text. Every problem of the whole file is found before one UsageError is thrown.
 * @param file the file's name, for YAML syntax errors
 */
export function readAuditFile(text: string, file: string): AuditPlan {
  const doc = parseYaml(text, file);
  const v = new Validator();
  if (!isMapping(doc)) throw new UsageError(`${file}: must be a mapping with "targets" (and "defaults")`);
  for (const key of Object.keys(doc)) if (!TOP_KEYS.has(key)) v.problem(`${key}: not a top-level key (defaults, targets, baselineRuns)`);
  let defaults: Mapping = {};
  if (doc.defaults !== undefined && doc.defaults !== null) {
    if (!isMapping(doc.defaults)) v.problem('defaults: must be a mapping');
    else defaults = doc.defaults;
  }
  if ('name' in defaults) v.problem('defaults.name: each target has its own name');
  let baselineRuns: number = AUDIT_DEFAULTS.baselineRuns;
  if (doc.baselineRuns !== undefined) {
    baselineRuns = v.field(() => parseCount('baselineRuns', String(doc.baselineRuns)), baselineRuns);
    if (baselineRuns < 1) v.problem('baselineRuns: must be at least 1');
  }
  const targets: AuditTarget[] = [];
  if (!Array.isArray(doc.targets) || doc.targets.length === 0) {
    v.problem('targets: required, a list of at least one target');
  } else {
    const seen = new Map<string, number>();
    doc.targets.forEach((raw: unknown, i: number) => {
      const t = readTarget(raw, i, defaults, v);
      if (isMapping(raw) && typeof raw.name === 'string') {
        const first = seen.get(raw.name);
        if (first !== undefined) v.problem(`targets[${i}].name: "${raw.name}" is also targets[${first}]'s name`);
        else seen.set(raw.name, i);
      }
      if (t !== null) targets.push(t);
    });
  }
  // Several problems in defaults repeat for every target: say each once.
  const problems = [...new Set(collectProblems(v))];
  if (problems.length > 0) throw new UsageError(problems);
  return Object.freeze({ targets, baselineRuns });
}

function collectProblems(v: Validator): string[] {
  try {
    v.done();
    return [];
  } catch (e) {
    if (e instanceof UsageError) return [...e.problems];
    throw e;
  }
}
