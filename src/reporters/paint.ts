/**
 * Colour for the words people look for in a terminal (PASS, FAIL, INCONCLUSIVE, REGRESSION, the audit's verdict
 * column and its last line), as a parameter: reporters stay pure functions to a string, and the CLI decides per
 * stream whether colour is on (cli/colour.ts: a terminal, no NO_COLOR, TERM not dumb). PLAIN leaves text as is.
 */

/** How each kind of word is shown. */
export interface Paint {
  /** Passed, answered. */
  pass(text: string): string;
  /** Failed: a regression, below the minimum, unreachable, an assertion. */
  fail(text: string): string;
  /** Inconclusive: client-limited, timed out, interrupted. */
  warn(text: string): string;
  /** A heading or the number. */
  strong(text: string): string;
  /** Secondary: the table's header. */
  dim(text: string): string;
}

const same = (text: string): string => text;

/** No colour: what files, pipes, NO_COLOR and TERM=dumb get. */
export const PLAIN: Paint = { pass: same, fail: same, warn: same, strong: same, dim: same };

// eslint-disable-next-line no-control-regex -- SGR escape sequences are what is measured away
const SGR = /\x1b\[[0-9;]*m/g;

/** The width text takes on a terminal: its length without colour codes. */
export function visibleLength(text: string): number {
  return text.replace(SGR, '').length;
}

/** Text without colour codes. */
export function stripColour(text: string): string {
  return text.replace(SGR, '');
}
