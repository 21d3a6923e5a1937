/**
 * Closes the test run with what was skipped and why, from the log test/helpers/needs.ts writes, and fails the run
 * on a skip that no declared need explains: a test may skip only for something this machine lacks.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

interface SkipEntry {
  file: string;
  title: string;
  missing: string;
}

function readLog(path: string): SkipEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SkipEntry);
}

/** The names of a test and of every group around it, innermost first. */
function titles(test: TestCase): string[] {
  const names = [test.name];
  let parent = test.parent;
  while (parent.type === 'suite') {
    names.push(parent.name);
    parent = parent.parent;
  }
  return names;
}

export default class SkipReporter implements Reporter {
  private filtered = false;

  constructor(private readonly logPath: string) {}

  onInit(vitest: { config: { testNamePattern?: unknown } }): void {
    // A run filtered by name skips the rest on purpose.
    this.filtered = vitest.config.testNamePattern !== undefined;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const log = readLog(this.logPath);
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const why = new Map<string, number>();
    const unexplained: string[] = [];
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else if (state === 'skipped') {
          counts.skipped++;
          const names = titles(test);
          const entry = log.find((e) => (e.file === '' || e.file === module.moduleId) && names.includes(e.title));
          if (entry === undefined) unexplained.push(`${module.relativeModuleId ?? module.moduleId}: ${test.fullName}`);
          else why.set(entry.missing, (why.get(entry.missing) ?? 0) + 1);
        }
      }
    }
    const lines: string[] = [];
    if (why.size > 0) {
      lines.push(`Skipped for what this machine lacks (under CI=true each would fail):`);
      for (const [missing, n] of [...why].sort((a, b) => b[1] - a[1])) lines.push(`  ${n} ${n === 1 ? 'test needs' : 'tests need'} ${missing}`);
    }
    if (unexplained.length > 0 && !this.filtered) {
      lines.push(`${unexplained.length} skipped without a declared need (test/helpers/needs.ts):`);
      for (const u of unexplained) lines.push(`  ${u}`);
      process.exitCode = 1;
    }
    lines.push(`tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}
