/**
 * Line charts of a run's timeline (held connections over time) as plain text, drawn with asciichart.
 *
 * Several series share one x axis (sample index of the longest series) and one y axis, so a before/after
 * comparison lines up. Without color, each series gets its own line symbols (solid rounded, dashed square, heavy)
 * and the legend names them by symbol; with color, asciichart's colors are used and the legend is colored too.
 */
import { createRequire } from 'node:module';
import type * as AsciichartModule from 'asciichart';
import { formatCount } from '../config/units.js';

const require = createRequire(import.meta.url);
let loaded: typeof AsciichartModule | null = null;

/** asciichart, loaded when the first chart is drawn: commands that draw none (--version, serve) never load it. */
function asciichart(): typeof AsciichartModule {
  loaded ??= require('asciichart') as typeof AsciichartModule;
  return loaded;
}

/**
 * Load the chart library now: a run that will draw its chart after holding connections calls this before the
 * first connect. At the open-files limit (a client-limited run) nothing can be loaded any more: requiring it then
 * failed with "Cannot find module 'asciichart'".
 */
export function loadChartLibrary(): void {
  asciichart();
}

/** One named line on the chart. */
export interface ChartSeries {
  name: string;
  values: number[];
}

export interface ChartOptions {
  /** Rows of the plot area. Default 12; fewer when the values span fewer whole numbers. */
  height?: number;
  /** Columns of the plot area (points per series after resampling). Default 70. */
  width?: number;
  /** A line above the chart. */
  title?: string;
  /** A line under the chart, e.g. "time, 0 to 12.5s". */
  xLabel?: string;
  /** Use terminal colors (escape codes). Default false: plain text. */
  color?: boolean;
}

export const DEFAULT_CHART_HEIGHT = 12;
export const DEFAULT_CHART_WIDTH = 70;

type Symbols = [string, string, string, string, string, string, string, string, string, string];

/**
 * Line symbols per series when there is no color. Order as asciichart expects: first-value/zero mark, axis,
 * (unused x2), horizontal, down-right corner, up-right corner, right-down corner, right-up corner, vertical.
 * The first slot is a plain axis piece: asciichart 1.5.x puts its "zero" mark on the top row when the minimum is 0,
 * and the first value is visible anyway where its line starts.
 */
const SOLID: { symbols: Symbols; sample: string } = {
  symbols: ['┤', '┤', '╶', '╴', '─', '╰', '╭', '╮', '╯', '│'],
  sample: '─',
};
const SYMBOL_SETS: readonly { symbols: Symbols; sample: string }[] = [
  SOLID,
  { symbols: ['┤', '┤', '╶', '╴', '┄', '└', '┌', '┐', '┘', '┆'], sample: '┄' },
  { symbols: ['┤', '┤', '╶', '╴', '━', '┗', '┏', '┓', '┛', '┃'], sample: '━' },
];

function seriesColor(i: number): string {
  const { blue, yellow, green, magenta } = asciichart();
  const colors = [blue, yellow, green, magenta];
  return colors[i % colors.length] ?? blue;
}

/**
 * Resample several series onto `columns` points with one shared mapping, based on the longest series.
 * Longer than the width: each column takes the maximum of its bucket, so a peak is never averaged or skipped
 * away. Shorter: values are repeated (a staircase, never interpolated values that were not measured).
 * A shorter series ends where its samples end. Non-finite values count as 0.
 */
export function resampleSeries(series: readonly (readonly number[])[], columns: number): number[][] {
  const longest = Math.max(0, ...series.map((s) => s.length));
  const cols = Math.max(1, Math.floor(columns));
  const clean = (v: number | undefined): number => (v !== undefined && Number.isFinite(v) ? v : 0);
  return series.map((values) => {
    const out: number[] = [];
    if (longest <= cols) {
      for (let c = 0; c < cols; c++) {
        const i = Math.floor((c * longest) / cols);
        if (i >= values.length) break;
        out.push(clean(values[i]));
      }
      return out;
    }
    for (let c = 0; c < cols; c++) {
      const from = Math.floor((c * longest) / cols);
      const to = Math.floor(((c + 1) * longest) / cols);
      if (from >= values.length) break;
      let max = -Infinity;
      for (let i = from; i < Math.min(to, values.length); i++) max = Math.max(max, clean(values[i]));
      out.push(max);
    }
    return out;
  });
}

/**
 * Render series as a text chart: optional title, the plot with integer y labels, the x label and, for more than
 * one series, a legend. Empty input, empty series and flat or all-zero series render without throwing.
 */
export function renderChart(series: readonly ChartSeries[], opts: ChartOptions = {}): string {
  const lines: string[] = [];
  if (opts.title !== undefined) lines.push(opts.title);
  const drawn = series.filter((s) => s.values.length > 0);
  if (drawn.length === 0) {
    lines.push('  (no samples to chart)');
    return lines.join('\n');
  }

  const width = Math.max(2, Math.floor(opts.width ?? DEFAULT_CHART_WIDTH));
  const points = resampleSeries(
    drawn.map((s) => s.values),
    width,
  );
  const all = points.flat();
  // Counts start at zero: an axis from 0 shows how far up the line went. The range is kept at least 1 because
  // asciichart (1.5.x) draws a single row for a flat series.
  const { min, max, height } = yScale(Math.min(0, ...all), Math.max(1, ...all), opts.height ?? DEFAULT_CHART_HEIGHT);
  // asciichart puts the label in the first cell and the axis at `offset - 1`: labels of at least 3 characters
  // with offset 3 give "label ┤" on every row.
  const labelWidth = Math.max(3, formatCount(max).length, formatCount(min).length);
  const format = (x: number): string => formatCount(x).padStart(labelWidth);
  const base = { min, max, height, format, offset: 3, padding: '' };

  if (opts.color === true) {
    const colors = points.map((_, i) => seriesColor(i));
    const plot = asciichart().plot(points, { ...base, symbols: SOLID.symbols, colors });
    lines.push(plot.split('\n').map((row) => row.trimEnd()).join('\n'));
  } else {
    lines.push(overlayPlots(points.map((p, i) => asciichart().plot(p, { ...base, symbols: symbolsFor(i) }))));
  }
  // The plot area starts after the labels, a space and the axis.
  const plotIndent = ' '.repeat(labelWidth + 2);
  if (opts.xLabel !== undefined) lines.push(`${plotIndent}${opts.xLabel}`);
  if (drawn.length > 1) lines.push(`${plotIndent}${legend(drawn, opts.color === true)}`);
  return lines.join('\n');
}

/** Multipliers of a power of ten that make readable axis steps (100, 120, 150, 200, 250, ...). */
const NICE_STEPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/**
 * Pick a whole-number step per row from NICE_STEPS so every y label is an exact, round integer, then the rows
 * needed (at most `maxRows`) and the axis ends, widened to whole steps. Small ranges get one row per integer.
 */
export function yScale(dataMin: number, dataMax: number, maxRows: number): { min: number; max: number; height: number } {
  const rowsWanted = Math.max(1, Math.floor(maxRows));
  const raw = (dataMax - dataMin) / rowsWanted;
  let step = 1;
  if (raw > 1) {
    const magnitude = 10 ** Math.floor(Math.log10(raw));
    step = Math.ceil(raw);
    for (const m of NICE_STEPS) {
      const candidate = m * magnitude;
      if (candidate >= raw && Number.isInteger(candidate)) {
        step = candidate;
        break;
      }
    }
  }
  const min = Math.floor(dataMin / step) * step;
  const height = Math.max(1, Math.ceil((dataMax - min) / step));
  return { min, max: min + height * step, height };
}

function symbolsFor(i: number): Symbols {
  return (SYMBOL_SETS[i % SYMBOL_SETS.length] ?? SOLID).symbols;
}

function legend(series: readonly ChartSeries[], color: boolean): string {
  return series
    .map((s, i) => {
      if (color) return `${asciichart().colored('─', seriesColor(i))} ${s.name}`;
      return `${(SYMBOL_SETS[i % SYMBOL_SETS.length] ?? SOLID).sample} ${s.name}`;
    })
    .join('   ');
}

/**
 * Merge plain plots of the same size (same min, max, height, labels and axis) cell by cell: a later series is
 * drawn over an earlier one where both have a line.
 */
function overlayPlots(plots: readonly string[]): string {
  const grids = plots.map((p) => p.split('\n').map((row) => Array.from(row)));
  const out = grids[0] ?? [];
  for (const grid of grids.slice(1)) {
    grid.forEach((row, r) => {
      const target = out[r] ?? (out[r] = []);
      row.forEach((ch, c) => {
        const current = target[c] ?? ' ';
        // Labels and axis are identical in every plot, so any difference is a line of the later series.
        if (ch !== ' ' && ch !== current) target[c] = ch;
      });
    });
  }
  return out.map((row) => row.join('').trimEnd()).join('\n');
}
