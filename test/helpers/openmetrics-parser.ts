/**
 * A small, strict OpenMetrics text parser for tests: it accepts only what both OpenMetrics 1.0 and the Prometheus
 * text format 0.0.4 (node_exporter's textfile collector) accept, and throws on anything else, naming the line.
 *
 * Checked: `# EOF` last and followed by one newline; metric and label name syntax; HELP/TYPE/UNIT before the
 * samples of their family, once each; families contiguous; UNIT matching the name's suffix; label value escapes
 * (only \\, \" and \n); no duplicate label names or series; sample names belonging to their family (summary:
 * quantile samples, _sum, _count); numbers in the formats' syntax; no timestamps (the textfile collector refuses
 * them). No npm parser was used: the one on the registry (parse-prometheus-text-format) is lenient and does not
 * know OpenMetrics (`# EOF`, `# UNIT`).
 */

export type MetricType = 'gauge' | 'summary' | 'counter';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string | null;
  unit: string | null;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NUMBER = /^(?:NaN|[+-]Inf|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/;
const TYPES: readonly string[] = ['gauge', 'summary', 'counter'];

export class ParseError extends Error {}

function fail(line: number, message: string): never {
  throw new ParseError(`line ${line}: ${message}`);
}

function parseNumber(text: string, line: number): number {
  if (!NUMBER.test(text)) fail(line, `"${text}" is not a number`);
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Parse `{a="x",b="y"}` starting at `text[0] === '{'`; returns the labels and the rest after `}`. */
function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
  for (;;) {
    const nameMatch = /^[^=]*/.exec(text.slice(i));
    const name = nameMatch?.[0] ?? '';
    if (!LABEL_NAME.test(name)) fail(line, `bad label name "${name}"`);
    if (name in labels) fail(line, `duplicate label "${name}"`);
    i += name.length;
    if (text[i] !== '=' || text[i + 1] !== '"') fail(line, `expected ="..." after label ${name}`);
    i += 2;
    let value = '';
    for (;;) {
      const ch = text[i];
      if (ch === undefined) fail(line, 'unterminated label value');
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[i + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else fail(line, `invalid escape "\\${next ?? ''}" in label value`);
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    labels[name] = value;
    i++; // closing quote
    if (text[i] === ',') {
      i++;
      if (text[i] === '}') fail(line, 'trailing comma in label set');
      continue;
    }
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    fail(line, `expected , or } after label ${name}`);
  }
}

/** The family a sample name belongs to, given the family currently open. */
function familyOf(sampleName: string, current: Family | null): string {
  if (current === null) return sampleName;
  if (sampleName === current.name) return current.name;
  if (current.type === 'summary' && (sampleName === `${current.name}_sum` || sampleName === `${current.name}_count`)) {
    return current.name;
  }
  if (current.type === 'counter' && sampleName === `${current.name}_total`) return current.name;
  return sampleName;
}

/** Parse an exposition; throws ParseError on the first violation. Families in order of appearance. */
export function parseOpenMetrics(text: string): Family[] {
  if (!text.endsWith('# EOF\n')) throw new ParseError('the exposition must end with "# EOF" and a newline');
  const lines = text.slice(0, -1).split('\n');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const series = new Set<string>();
  const typed = new Set<string>();
  let current: Family | null = null;
  const open = (name: string, n: number): Family => {
    if (current !== null && current.name === name) return current;
    if (families.has(name) || closed.has(name)) fail(n, `family ${name} is not contiguous`);
    if (current !== null) closed.add(current.name);
    // `type` is a placeholder until the TYPE line: a family without one is refused (tcpprobe always writes it).
    const f: Family = { name, type: 'gauge', help: null, unit: null, samples: [] };
    families.set(name, f);
    current = f;
    return f;
  };
  lines.forEach((raw, idx) => {
    const n = idx + 1;
    if (idx === lines.length - 1) {
      if (raw !== '# EOF') fail(n, 'expected # EOF');
      return;
    }
    if (raw === '') fail(n, 'empty line');
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE|UNIT) (\S+) ?(.*)$/.exec(raw);
      if (!m) fail(n, `unexpected comment "${raw}"`);
      const [, kind, name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name)) fail(n, `bad metric name "${name}"`);
      const f = open(name, n);
      if (f.samples.length > 0) fail(n, `${kind} after samples of ${name}`);
      if (kind === 'HELP') {
        if (f.help !== null) fail(n, `second HELP for ${name}`);
        if (/\\(?![\\n"])/.test(rest)) fail(n, 'invalid escape in HELP');
        f.help = rest.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      } else if (kind === 'TYPE') {
        if (typed.has(name)) fail(n, `second TYPE for ${name}`);
        if (!TYPES.includes(rest)) fail(n, `type "${rest}" is not one both formats accept`);
        f.type = rest as MetricType;
        typed.add(name);
      } else {
        if (f.unit !== null) fail(n, `second UNIT for ${name}`);
        if (!name.endsWith(`_${rest}`)) fail(n, `metric ${name} must end in its unit _${rest}`);
        f.unit = rest;
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (!nameMatch) fail(n, `bad sample line "${raw}"`);
    const sampleName = nameMatch[0];
    let rest = raw.slice(sampleName.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, n));
    if (!rest.startsWith(' ')) fail(n, 'expected one space before the value');
    const tokens = rest.slice(1).split(' ');
    if (tokens.length !== 1) fail(n, 'a timestamp or extra token after the value (the textfile collector refuses timestamps)');
    const value = parseNumber(tokens[0] ?? '', n);
    const f = open(familyOf(sampleName, current), n);
    if (!typed.has(f.name)) fail(n, `sample of ${f.name} without a TYPE line`);
    if (f.type === 'summary') {
      const isQuantile = sampleName === f.name;
      if (isQuantile !== ('quantile' in labels)) fail(n, `summary ${f.name}: quantile label only on quantile samples`);
      if (isQuantile) {
        const q = parseNumber(labels.quantile ?? '', n);
        if (!(q >= 0 && q <= 1)) fail(n, `quantile ${labels.quantile} out of [0, 1]`);
      }
      if (sampleName.endsWith('_count') && (!Number.isInteger(value) || value < 0)) fail(n, 'summary _count must be a non-negative integer');
      if (sampleName.endsWith('_sum') && (Number.isNaN(value) || value < 0)) fail(n, 'summary _sum must be a non-negative number');
    }
    const key = `${sampleName}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) fail(n, `duplicate series ${sampleName}`);
    series.add(key);
    f.samples.push({ name: sampleName, labels, value });
  });
  return [...families.values()];
}

/** The one family named `name`, or an error naming what is there. */
export function family(families: readonly Family[], name: string): Family {
  const f = families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no family ${name}; have ${families.map((x) => x.name).join(', ')}`);
  return f;
}
