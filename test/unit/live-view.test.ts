/** Which live view a stream gets: the pure choice, with the environment variables that change it. */
import { describe, expect, it } from 'vitest';
import { chooseLiveMode, terminalWidth } from '../../src/cli/live-view.js';

const tty = { isTTY: true, rows: 40, columns: 100 };

describe('chooseLiveMode', () => {
  it('a terminal with a size gets the block; a pipe or a sizeless terminal gets lines', () => {
    expect(chooseLiveMode(tty, {})).toBe('block');
    expect(chooseLiveMode({ isTTY: false, rows: 0, columns: 0 }, {})).toBe('lines');
    expect(chooseLiveMode({ ...tty, rows: 0 }, {})).toBe('lines');
    expect(chooseLiveMode({ ...tty, columns: 0 }, {})).toBe('lines');
  });

  it('TERM=dumb and a non-empty NO_COLOR get lines; an empty NO_COLOR does not count', () => {
    expect(chooseLiveMode(tty, { TERM: 'dumb' })).toBe('lines');
    expect(chooseLiveMode(tty, { NO_COLOR: '1' })).toBe('lines');
    expect(chooseLiveMode(tty, { NO_COLOR: '' })).toBe('block');
    expect(chooseLiveMode(tty, { TERM: 'xterm-256color' })).toBe('block');
  });

  it('fits a terminal (at least 20 columns), never a pipe', () => {
    expect(terminalWidth(tty)).toBe(100);
    expect(terminalWidth({ ...tty, columns: 12 })).toBe(20);
    expect(terminalWidth({ isTTY: false, rows: 0, columns: 0 })).toBeNull();
  });
});
