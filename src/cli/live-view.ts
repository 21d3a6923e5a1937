/**
 * Where live status goes and in what shape: one redrawn block on a terminal that can take cursor movement, plain
 * lines otherwise (piped, TERM=dumb, NO_COLOR, a terminal that reports no size). On a terminal everything fits its
 * width, read at each draw so a resized window is followed; piped lines are whole, for logs.
 */
import { formatStatusBlock, formatStatusLine, type LiveSnapshot } from '../reporters/live-status.js';
import { truncateText } from '../reporters/format.js';

/** What the stream is, as far as the choice goes. */
export interface StreamFacts {
  isTTY: boolean;
  rows: number;
  columns: number;
}

export type LiveMode = 'block' | 'lines';

/** Narrowest width drawn for; a narrower terminal wraps rather than showing nothing. */
const MIN_WIDTH = 20;

/**
 * Block only on a terminal with a size, where cursor movement is wanted: TERM=dumb cannot move the cursor, and
 * NO_COLOR (any non-empty value) asks for plain output, so both get lines. Pure.
 */
export function chooseLiveMode(s: StreamFacts, env: NodeJS.ProcessEnv): LiveMode {
  if (!s.isTTY || s.rows <= 0 || s.columns <= 0) return 'lines';
  if (env.TERM === 'dumb') return 'lines';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 'lines';
  return 'block';
}

/** The width to fit on a terminal, or null for piped output (whole lines). */
export function terminalWidth(s: StreamFacts): number | null {
  return s.isTTY && s.columns > 0 ? Math.max(MIN_WIDTH, s.columns) : null;
}

export interface LiveView {
  readonly mode: LiveMode;
  show(snapshot: LiveSnapshot): void;
  /** Leave the last block on screen and stop redrawing (before the summary is printed). */
  done(): void;
}

function facts(stream: NodeJS.WriteStream): StreamFacts {
  return { isTTY: stream.isTTY === true, rows: stream.rows ?? 0, columns: stream.columns ?? 0 };
}

/**
 * A live view on `stream` (stderr), chosen once; a quiet run gets one that shows nothing. log-update (with its
 * fourteen dependencies, 50-60 ms to load) is loaded for the block only: piped and quiet runs never need it. Call
 * it before the first connect: at the open-files limit no module can load.
 * @param allowBlock false when other lines are written during the run (a fleet's log), which a redrawn block
 * would overwrite
 */
export async function createLiveView(
  quiet: boolean,
  { allowBlock = true, stream = process.stderr, env = process.env }: { allowBlock?: boolean; stream?: NodeJS.WriteStream; env?: NodeJS.ProcessEnv } = {},
): Promise<LiveView> {
  if (quiet) return { mode: 'lines', show: () => undefined, done: () => undefined };
  const mode = allowBlock ? chooseLiveMode(facts(stream), env) : 'lines';
  if (mode === 'block') {
    const { createLogUpdate } = await import('log-update');
    const block = createLogUpdate(stream);
    return {
      mode,
      show: (s) => block(formatStatusBlock(s, terminalWidth(facts(stream)) ?? 80)),
      done: () => block.done(),
    };
  }
  return {
    mode,
    show: (s) => {
      const width = terminalWidth(facts(stream));
      const line = formatStatusLine(s);
      stream.write(`${width === null ? line : truncateText(line, width)}\n`);
    },
    done: () => undefined,
  };
}
