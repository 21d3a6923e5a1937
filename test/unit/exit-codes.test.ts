/**
 * The one outcome table: every exit code is in it once, README lists every row, and each verdict kind maps to the
 * code a CI job should see (a run that did not answer never exits 0).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeForVerdict, OUTCOME_TABLE } from '../../src/metrics/exit-codes.js';
import { COMMAND_NAMES, COMMAND_OUTCOMES, commandOutcomes, exitCodesHelp } from '../../src/cli/exit-codes.js';

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

describe("each command's exit codes", () => {
  /** The codes a command's --help lists, as its rows print them. */
  const codesOf = (command: string): string[] =>
    commandOutcomes(command).map((r) => OUTCOME_TABLE.find((t) => t.outcome === r.outcome)!.codes.join(' / '));

  it.each([
    ['ramp', ['0', '1', '2', '3', '4', '7', '8', '9', '10', '130 / 143']],
    ['hold', ['0', '1', '2', '3', '4', '5', '6', '9', '130 / 143']],
    ['serve', ['1', '2', '130 / 143']],
    ['demo', ['0', '1', '2', '4', '9', '130 / 143']],
    ['doctor', ['0', '1', '2', '3']],
    ['compare', ['0', '1', '2']],
    ['history', ['0', '1', '2']],
    ['agent', ['0', '1', '2', '8', '130 / 143']],
    ['audit', ['0', '1', '2', '3', '4', '7', '9', '130 / 143']],
    ['report', ['0', '1', '2']],
  ] as const)('%s can end with %j and nothing else', (command, codes) => {
    expect(codesOf(command)).toEqual(codes);
  });

  it('has an entry for every command, each outcome at most once, and every outcome is some command\'s', () => {
    expect(Object.keys(COMMAND_OUTCOMES).sort()).toEqual([...COMMAND_NAMES].sort());
    for (const name of COMMAND_NAMES) {
      const outcomes = COMMAND_OUTCOMES[name].map((r) => r.outcome);
      expect(new Set(outcomes).size, name).toBe(outcomes.length);
    }
    const all = new Set(COMMAND_NAMES.flatMap((n) => COMMAND_OUTCOMES[n].map((r) => r.outcome)));
    expect([...all].sort()).toEqual(OUTCOME_TABLE.map((r) => r.outcome).sort());
  });

  it("a command's --help section lists its rows in its own words, within 80 columns; an unknown command has none", () => {
    const agent = exitCodesHelp('agent');
    expect(agent).toMatch(/^ {2}0 +stopped by SIGINT \/ SIGTERM: how an agent ends$/m);
    expect(agent).not.toMatch(/^ {2}[3-79] /m);
    for (const name of COMMAND_NAMES) for (const line of exitCodesHelp(name).split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(() => exitCodesHelp('nonesuch')).toThrow(/no exit codes for command "nonesuch"/);
  });
});
