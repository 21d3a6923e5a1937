/**
 * The overview as Markdown (`--markdown FILE` of ramp, hold and audit), for a CI job's summary page (GitHub's
 * `$GITHUB_STEP_SUMMARY`, a merge request comment): the overall outcome, one table row per target (name, address,
 * max, change against the baseline, verdict), and the reasons of every target that did not pass. Text from
 * results (server words above all) is escaped, so it reads as text and never as Markdown or HTML. Pure.
 */
import { formatCount } from '../config/units.js';
import { formatWhen } from './when.js';
import { sanitizeText } from './format.js';
import { caseVerdict } from './junit.js';
import { isNotRun, overallSentence, REASON_WORDS, verdictWords, type Overview, type TargetOutcome } from './target-outcome.js';

/**
 * Text for a Markdown table cell or paragraph (never at a line's start): HTML's special characters as entities,
 * Markdown's inline ones (emphasis, code, links and bare URLs, a cell's pipe, strikethrough) as backslash escapes,
 * line breaks as spaces (a cell is one line), other control characters spelled out ("\x01").
 */
export function markdownText(text: string): string {
  return sanitizeText(text.replace(/[\r\n]+/g, ' '))
    .replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] as string)
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    // Not a link either: GitHub turns bare URLs and www. names into links.
    .replace(/:\/\//g, '\\://')
    .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}\\.`);
}

/** The mark a row starts with: passed, failed, inconclusive, not run. */
function mark(t: TargetOutcome): string {
  switch (caseVerdict(t)) {
    case 'passed':
      return '✅';
    case 'failure':
      return '❌';
    case 'error':
      return '⚠️';
    case 'skipped':
      return '⏭️';
  }
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** The whole summary, ending in a newline (so appending to a step summary keeps blocks apart). */
export function formatMarkdown(o: Overview, version: string): string {
  const heading = `### tcpprobe ${o.command}: ${markdownText(o.title)}`;
  const allPassed = o.targets.every((t) => t.passed);
  const overall = `**${markdownText(overallSentence(o))}**`;
  const table = [
    row(['', 'target', 'address', 'max', 'change', 'verdict']),
    row(['---', '---', '---', '---:', '---', '---']),
    ...o.targets.map((t) =>
      row([
        mark(t),
        `**${markdownText(t.name)}**`,
        markdownText(t.address),
        t.maxConcurrency === null ? '-' : `${t.lowerBound ? '≥ ' : ''}${formatCount(t.maxConcurrency)}`,
        markdownText(t.change),
        markdownText(verdictWords(t)),
      ]),
    ),
  ];
  const failing = o.targets.filter((t) => !t.passed && !isNotRun(t));
  const reasons = failing.flatMap((t) => t.reasons.map((r) => `- **${markdownText(t.name)}**, ${REASON_WORDS[r.kind]}: ${markdownText(r.sentence)}`));
  const blocks = [heading, `${allPassed ? '✅' : '❌'} ${overall}`, table.join('\n')];
  if (reasons.length > 0) blocks.push(reasons.join('\n'));
  blocks.push(`<sub>${markdownText(`tcpprobe ${version}, ${formatWhen(o.startedAt)}`)}</sub>`);
  return `${blocks.join('\n\n')}\n`;
}
