/**
 * The bench's memory of a process tree (scripts/bench-proc.mjs) counts what its processes share once: real child
 * processes of this one, each mapping the same node binary.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
// @ts-expect-error a plain .mjs script without types
import { residentBytes, sampleTree } from '../../scripts/bench-proc.mjs';

interface Resident {
  own: number;
  file: number;
  rss: number;
}

describe('bench memory of a process tree', () => {
  it('counts the node binary once, not once per process', async () => {
    const children = Array.from({ length: 3 }, () => spawn(process.execPath, ['-e', 'process.stdout.write("up\\n"); setTimeout(() => {}, 20000)'], { stdio: ['ignore', 'pipe', 'ignore'] }));
    onTestFinished(() => {
      for (const c of children) c.kill();
    });
    await Promise.all(children.map((c) => once(c.stdout!, 'data')));
    const parent = residentBytes(process.pid) as Resident;
    const kids = children.map((c) => residentBytes(c.pid!) as Resident);
    // Every process's own pages and file pages make up its VmRSS (within a page or two of rounding).
    for (const m of [parent, ...kids]) expect(Math.abs(m.own + m.file - m.rss)).toBeLessThan(64 * 1024);
    const tree = sampleTree(process.pid) as { rss: number; rssSum: number; processes: number };
    expect(tree.processes).toBeGreaterThanOrEqual(4);
    // Each child maps tens of MB of the same binary: the plain sum counts them 4 times, the tree's memory once.
    expect(Math.min(...kids.map((k) => k.file))).toBeGreaterThan(10 * 2 ** 20);
    expect(tree.rssSum - tree.rss).toBeGreaterThan(2 * Math.min(...kids.map((k) => k.file)));
  });
});
