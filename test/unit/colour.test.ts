/**
 * Colour in the terminal: when it is on (a terminal, no NO_COLOR, TERM not dumb), that reporters colour only the
 * verdict words through the Paint they are handed, and that tables stay aligned with colour codes in their cells.
 * Times in words for the reports are here too: UTC, whatever the machine's zone.
 */
import picocolors from 'picocolors';
import { describe, expect, it } from 'vitest';
import { colourWanted } from '../../src/cli/colour.js';
import { formatTable } from '../../src/reporters/format.js';
import { formatAssertion } from '../../src/reporters/result-sections.js';
import { PLAIN, stripColour, visibleLength, type Paint } from '../../src/reporters/paint.js';
import { formatShortWhen, formatWhen } from '../../src/reporters/when.js';

const c = picocolors.createColors(true);
const paint: Paint = { pass: c.green, fail: c.red, warn: c.yellow, strong: c.bold, dim: c.dim };

describe('colour', () => {
  it('is on for a terminal only, and off under NO_COLOR (any value) and TERM=dumb', () => {
    expect(colourWanted(true, {})).toBe(true);
    expect(colourWanted(false, {})).toBe(false);
    expect(colourWanted(true, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted(true, { NO_COLOR: '' })).toBe(true);
    expect(colourWanted(true, { TERM: 'dumb' })).toBe(false);
  });

  it('colours the verdict word of an assertion, and nothing with PLAIN', () => {
    const a = { name: 'capacity', passed: false, expected: '', actual: '80 held (20 short)' } as Parameters<typeof formatAssertion>[0];
    expect(formatAssertion(a, paint)).toBe(`${c.red('FAIL')} capacity: 80 held (20 short)`);
    expect(formatAssertion(a, PLAIN)).toBe('FAIL capacity: 80 held (20 short)');
  });

  it('aligns table columns by what shows, not by the colour codes', () => {
    const coloured = formatTable(['target', 'verdict', 'max'], [['cache', paint.fail('REGRESSION'), '200'], ['db', paint.pass('ok'), '3']]);
    const plain = formatTable(['target', 'verdict', 'max'], [['cache', 'REGRESSION', '200'], ['db', 'ok', '3']]);
    expect(coloured.map(stripColour)).toEqual(plain);
    expect(visibleLength(paint.fail('REGRESSION'))).toBe(10);
  });
});

describe('times in words', () => {
  it('says when in UTC, without milliseconds', () => {
    expect(formatWhen('2026-12-02T03:15:42.123Z')).toBe('2 Dec 2026, 03:15 UTC');
    expect(formatShortWhen('2026-01-09T23:05:00.000Z')).toBe('9 Jan 23:05');
    expect(formatWhen('not a time')).toBe('not a time');
  });
});
