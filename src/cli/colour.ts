/**
 * Whether a stream gets colour, and the Paint it gets (picocolors): on a terminal only, and never under NO_COLOR
 * (any non-empty value, no-color.org) or TERM=dumb, the same rule the live view follows (live-view.ts). Piped
 * output, files and CI logs stay plain.
 */
import picocolors from 'picocolors';
import { PLAIN, type Paint } from '../reporters/paint.js';

/** Pure: colour on a terminal, unless NO_COLOR or TERM=dumb say otherwise. */
export function colourWanted(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (!isTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

/** The Paint for text written to `stream`. */
export function paintFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Paint {
  if (!colourWanted(stream.isTTY === true, env)) return PLAIN;
  const c = picocolors.createColors(true);
  return { pass: c.green, fail: (t) => c.bold(c.red(t)), warn: c.yellow, strong: c.bold, dim: c.dim };
}
