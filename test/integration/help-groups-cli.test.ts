/**
 * `--help` groups the flags by concern (commander's optionsGroup), from the built binary: each command shows its
 * headings in reading order, every flag sits under a heading of its own concern, and only -h is left under the
 * generic "Options:".
 */
import { describe, expect, it } from 'vitest';
import { HELP_GROUPS } from '../../src/config/help-groups.js';
import { runCli } from '../helpers/cli.js';

/** The help's sections: heading -> the long (or only) flag of each option line under it. */
function helpSections(text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of text.split('\n')) {
    const heading = /^([A-Z][A-Za-z ]*:)$/.exec(line);
    if (heading) {
      current = [];
      sections.set(heading[1]!, current);
      continue;
    }
    const flag = /^ {2}(?:-\w, )?(--?[\w-]+)/.exec(line);
    if (flag && current) current.push(flag[1]!);
  }
  return sections;
}

const G = HELP_GROUPS;
const CASES: { command: string; headings: string[]; where: Record<string, string> }[] = [
  {
    command: 'ramp',
    headings: [G.target, G.connections, G.service, G.tls, G.schedule, G.stop, G.hold, G.assertions, G.output, G.gate, G.fleet, 'Options:'],
    where: { '--assert-capacity': G.assertions, '--port': G.target, '--rate': G.schedule, '--max': G.stop, '--hold': G.hold, '--json': G.output, '--openmetrics': G.output, '--baseline': G.gate, '--redis': G.fleet, '--expect': G.service, '--ca': G.tls, '--workers': G.connections },
  },
  {
    command: 'hold',
    headings: [G.target, G.connections, G.service, G.tls, G.hold, G.assertions, G.output, 'Options:'],
    where: { '--host': G.target, '--connections': G.hold, '--duration': G.hold, '--assert-held': G.assertions, '--within': G.assertions, '--verbose': G.output },
  },
  {
    command: 'serve',
    headings: [G.listen, G.behaviour, G.processes, G.output, 'Options:'],
    where: { '--port': G.listen, '--over-limit': G.behaviour, '--close-after': G.behaviour, '--workers': G.processes, '--quiet': G.output },
  },
  {
    command: 'agent',
    headings: [G.fleet, G.allow, G.connections, G.output, 'Options:'],
    where: { '--redis': G.fleet, '--name': G.fleet, '--allow-target': G.allow, '--source': G.connections, '--quiet': G.output },
  },
  {
    command: 'audit',
    headings: ['Arguments:', G.gate, G.output, 'Options:'],
    where: { '--history': G.gate, '--lock': G.gate, '--html': G.output, '--json': G.output },
  },
];

describe('--help groups flags by concern', () => {
  for (const c of CASES) {
    it(`${c.command}: ${c.headings.length} groups in reading order, each flag under its concern`, async () => {
      const run = await runCli([c.command, '--help']);
      expect(run.code, run.stderr).toBe(0);
      const sections = helpSections(run.stdout);
      const optionHeadings = [...sections.keys()].filter((h) => h !== 'Examples:' && h !== 'Exit codes:' && h !== 'Usage:');
      expect(optionHeadings).toEqual(c.headings);
      for (const [flag, heading] of Object.entries(c.where)) expect(sections.get(heading), `${flag} under ${heading}`).toContain(flag);
      // Only the help flag is left ungrouped.
      expect(sections.get('Options:')).toEqual(['--help']);
      // The Examples and Exit codes sections follow the flags.
      expect([...sections.keys()].slice(-2)).toEqual(['Examples:', 'Exit codes:']);
    });
  }
});
