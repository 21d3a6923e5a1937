/**
 * The one outcome table: every exit code is in it once, README lists every row, and each verdict kind maps to the
 * code a CI job should see (a run that did not answer never exits 0).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeForVerdict, exitCodesHelp, OUTCOME_TABLE } from '../../src/cli/exit-codes.js';

describe('the outcome table', () => {
  it('holds every exit code exactly once', () => {
    const codes = OUTCOME_TABLE.flatMap((r) => r.codes);
    expect([...codes].sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });

  it("README's Exit codes section has a row for every row of the table", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('## The result document'));
    for (const row of OUTCOME_TABLE) expect(section).toMatch(new RegExp(`^\\| ${row.codes.join(' / ')} \\| `, 'm'));
  });

  it('--help text lists every row, within 80 columns', () => {
    const help = exitCodesHelp();
    for (const row of OUTCOME_TABLE) expect(help).toMatch(new RegExp(`^  ${row.codes.join(' / ')} +\\S`, 'm'));
    for (const line of help.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    // Wrapped, not cut: every word of every meaning is there.
    const words = help.split(/\s+/);
    for (const row of OUTCOME_TABLE) for (const w of row.meaning.split(' ')) expect(words).toContain(w);
  });

  it.each([
    ['limit-by-failure', EXIT.ok],
    ['limit-by-plateau', EXIT.ok],
    ['max-reached', EXIT.ok],
    ['evicting', EXIT.ok],
    ['held', EXIT.ok],
    ['all-closed', EXIT.ok],
    ['timed-out', EXIT.timedOut],
    ['unreachable', EXIT.unreachable],
    ['rejected', EXIT.unreachable],
    ['client-limited', EXIT.clientLimited],
  ] as const)('verdict %s exits %i', (kind, code) => {
    expect(exitCodeForVerdict(kind, null)).toBe(code);
  });

  it('interrupted exits 130 for SIGINT and 143 for SIGTERM', () => {
    expect(exitCodeForVerdict('interrupted', 'SIGINT')).toBe(130);
    expect(exitCodeForVerdict('interrupted', 'SIGTERM')).toBe(143);
  });
});
