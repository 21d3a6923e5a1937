/**
 * The pure parts of `npm run bench` (scripts/bench-report.mjs, scripts/bench-cases.mjs): the issue 11 cases, how
 * they are selected, and how their runs become figures and goals. The scripts are plain JavaScript, so their
 * functions are typed here by what the tests use.
 */
import { describe, expect, it } from 'vitest';

interface BenchCase {
  id: string;
  kind: string;
  target?: string;
  connections?: number;
  holdArgs?: string[];
  probe?: { mode: string; count: number; sources?: string[] };
  needs?: { command: string; remedy: string }[];
  reference?: string;
  baseline?: string;
  serveArgs?: string[];
  rampArgs?: string[];
  expectMax?: number;
  holdExcludedMs?: number;
  goals?: Record<string, unknown>;
}
interface Summary {
  id: string;
  kind: string;
  ratio: number | null;
  figures: Record<string, { median: number; min: number; max: number } | null>;
}
interface Goal {
  case: string;
  issue: number;
  goal: string;
  figure: string;
  met: boolean;
}
interface BenchCasesModule {
  benchCases(o: { quick: boolean; floorBinary: string | null }): BenchCase[];
  selectCases(all: BenchCase[], ids: string[] | null): BenchCase[];
  splitByNeeds(cases: BenchCase[], have: (command: string) => boolean): { runnable: BenchCase[]; skipped: { id: string; missing: string }[] };
}
interface BenchReportModule {
  runFigures(raw: Record<string, unknown>): Record<string, number | null | boolean>;
  summarize(cases: BenchCase[], runsByCase: Map<string, Record<string, unknown>[]>): Summary[];
  checkGoals(summaries: Summary[]): Goal[];
  ratioGoalText(kind: string, ratioMax: number): string;
}

const load = async <T>(name: string): Promise<T> => (await import(new URL(`../../scripts/${name}`, import.meta.url).href)) as T;
const { benchCases, selectCases, splitByNeeds } = await load<BenchCasesModule>('bench-cases.mjs');
const { runFigures, summarize, checkGoals, ratioGoalText } = await load<BenchReportModule>('bench-report.mjs');

const full = benchCases({ quick: false, floorBinary: null });
const byId = (id: string): BenchCase => {
  const c = full.find((x) => x.id === id);
  if (c === undefined) throw new Error(`no case ${id}`);
  return c;
};

describe('the issue 11 and 25 cases', () => {
  it('ramp with no flags against a capped target that closes over its cap, the default 2 s hold taken out of the time', () => {
    for (const [id, cap, serveWorkers] of [
      ['r1k', 1_000, null],
      ['r10k', 10_000, null],
      ['r100k', 100_000, '6'],
      ['r1m', 1_000_000, '56'],
    ] as const) {
      const c = byId(id);
      expect(c.kind).toBe('ramp');
      expect(c.rampArgs).toEqual([]);
      expect(c.holdExcludedMs).toBe(2000);
      expect(c.expectMax).toBe(cap);
      expect(c.serveArgs).toEqual(['--max-conns', String(cap), '--over-limit', 'close', ...(serveWorkers === null ? [] : ['--workers', serveWorkers])]);
    }
    expect(byId('r1k').goals).toEqual({ issue: 11, verdictMaxMs: 1000, exact: true });
    expect(byId('r10k').goals).toEqual({ issue: 25, ratioMax: 1, exact: true });
    expect(byId('r10k').baseline).toBe('a-ref');
    expect(byId('r100k').goals).toEqual({ issue: 25, verdictMaxMs: 6_000, exact: true });
    expect(byId('r1m').goals).toEqual({ issue: 25, verdictMaxMs: 60_000, exact: true, peakAboveStartMbMax: 2000 });
    expect(byId('startup')).toMatchObject({ kind: 'startup', args: ['--version'], samples: 15, goals: { issue: 25, wallMaxMs: 80 } });
    expect(byId('hold1')).toMatchObject({
      kind: 'startup',
      serveArgs: [],
      args: ['hold', '--host', '127.0.0.1', '--port', '{port}', '-c', '1', '--duration', '0.1s'],
      goals: { issue: 25, wallMaxMs: 200 },
    });
  });

  it('judge the fixed costs by the median wall time, beside Node alone from the same runs', () => {
    const run = (ms: number) => ({ ok: true, startupMs: ms, startupMinMs: ms, startupMaxMs: ms, samples: 15, nodeMs: 60 });
    const judge = (ms: number[]) => checkGoals(summarize([byId('hold1')], new Map([['hold1', ms.map(run)]])));
    expect(judge([190, 230, 199])).toEqual([{ case: 'hold1', issue: 25, goal: 'wall time to exit <= 0.2 s', figure: '0.199 s', met: true }]);
    expect(judge([201, 150, 230]).map((g) => [g.figure, g.met])).toEqual([['0.201 s', false]]);
    expect(summarize([byId('hold1')], new Map([['hold1', [run(190)]]]))[0]?.figures.nodeS).toEqual({ median: 0.06, min: 0.06, max: 0.06 });
  });

  it('keep the plain loop the same size as r10k in --quick mode too, so the ratio compares like with like', () => {
    const quick = benchCases({ quick: true, floorBinary: null });
    const r10k = quick.find((c) => c.id === 'r10k');
    const aRef = quick.find((c) => c.id === 'a-ref') as BenchCase & { probe: { count: number } };
    expect(r10k?.expectMax).toBe(aRef.probe.count);
  });
});

describe('the nginx case of issue 25', () => {
  it('runs tcpprobe hold as a user would, 10,000 at once over three loopback addresses, against nginx', () => {
    const c = byId('nginx10k');
    expect(c).toMatchObject({ kind: 'hold', target: 'nginx', connections: 10_000, baseline: 'nginx10k-ref' });
    expect(c.holdArgs).toEqual(['--delay', '0', '--source', '127.0.0.1,127.0.0.2,127.0.0.3', '--duration', '3s']);
    expect(c.goals).toEqual({ issue: 25, ratioMax: 0.4 });
  });

  it('divides it by the plain loop opening as many from the same sources against the same nginx', () => {
    for (const quick of [false, true]) {
      const cases = benchCases({ quick, floorBinary: null });
      const hold = cases.find((c) => c.id === 'nginx10k');
      const ref = cases.find((c) => c.id === 'nginx10k-ref');
      expect(ref).toMatchObject({ kind: 'probe', target: 'nginx', reference: 'nginx10k' });
      expect(ref?.probe).toEqual({ mode: 'plain', count: quick ? 300 : 10_000, sources: ['127.0.0.1', '127.0.0.2', '127.0.0.3'] });
      expect(hold?.connections).toBe(ref?.probe?.count);
    }
  });

  it('needs nginx: a machine without it skips both cases and names the package', () => {
    const nginxPair = selectCases(full, ['nginx10k']);
    expect(nginxPair.map((c) => c.id)).toEqual(['nginx10k', 'nginx10k-ref']);
    const missing = 'nginx (apt-get install -y nginx-light)';
    expect(splitByNeeds(nginxPair, () => false)).toEqual({
      runnable: [],
      skipped: [
        { id: 'nginx10k', missing },
        { id: 'nginx10k-ref', missing },
      ],
    });
    expect(splitByNeeds(nginxPair, (cmd) => cmd === 'nginx').runnable).toEqual(nginxPair);
    // The other cases need nothing beyond what the bench itself does.
    expect(splitByNeeds([byId('a'), byId('r10k')], () => false).skipped).toEqual([]);
  });

  it('reads a hold run from process start to the last established, with no settled reading', () => {
    const f = runFigures({
      ok: true,
      connections: 10_000,
      establishMs: 611,
      readyMs: 190,
      baselineRss: 2 ** 20,
      peakRss: 101 * 2 ** 20,
      settledRss: null,
      cpuSec: 1,
    });
    expect(f).toMatchObject({ timeS: 0.611, startupS: 0.19, settledRssMb: null, rssPerConnKb: null });
    expect(f.peakRssPerConnKb).toBeCloseTo(10.24, 2);
  });

  it('judges the ratio to the plain loop against 0.40x, in words that say what is timed', () => {
    const hold = (ms: number) => ({ ok: true, connections: 10_000, establishMs: ms, readyMs: 190, baselineRss: 0, peakRss: 0, settledRss: null, cpuSec: 1 });
    const plain = { ok: true, connections: 10_000, establishMs: 656, readyMs: 60, baselineRss: 0, peakRss: 0, settledRss: 0, cpuSec: 1 };
    const cases = [byId('nginx10k'), byId('nginx10k-ref')];
    const judge = (ms: number) =>
      checkGoals(summarize(cases, new Map([['nginx10k', [hold(ms)]], ['nginx10k-ref', [plain]]])));
    expect(judge(611)).toEqual([
      { case: 'nginx10k', issue: 25, goal: "process start to all established <= 0.4x the plain loop's", figure: '0.93x', met: false },
    ]);
    expect(judge(250).map((g) => [g.figure, g.met])).toEqual([['0.38x', true]]);
  });
});

describe('selectCases', () => {
  const ids = (cases: BenchCase[]): string[] => cases.map((c) => c.id);
  it('brings the references of the named cases and the baselines they are divided by, in run order', () => {
    expect(ids(selectCases(full, ['a']))).toEqual(['a', 'a-ref']);
    // Each engine is its own case (issue 14): the JS engine's twin shares the reference.
    expect(ids(selectCases(full, ['a', 'a-js']))).toEqual(['a', 'a-js', 'a-ref']);
    expect(ids(selectCases(full, ['r10k']))).toEqual(['a-ref', 'r10k']);
    expect(ids(selectCases(full, ['startup', 'r1k']))).toEqual(['startup', 'r1k']);
    expect(ids(selectCases(full, ['nope']))).toEqual([]);
    expect(selectCases(full, null)).toBe(full);
  });
});

describe('runFigures', () => {
  it('reads a startup run as its time alone', () => {
    const f = runFigures({ ok: true, startupMs: 123, startupMinMs: 100, startupMaxMs: 150, samples: 15, nodeMs: 61 });
    expect(f.timeS).toBeCloseTo(0.123);
    expect(f.nodeS).toBeCloseTo(0.061);
    expect(f.connections).toBeNull();
    expect(f.rssPerConnKb).toBeNull();
    expect(f.cpuS).toBeNull();
  });

  it('reads a probe run with its start-up share and the SYNs the kernel dropped or resent while it connected', () => {
    const f = runFigures({
      ok: true,
      connections: 1000,
      establishMs: 500,
      readyMs: 120,
      baselineRss: 0,
      peakRss: 2048 * 1000,
      settledRss: 1024 * 1000,
      cpuSec: 0.2,
      tcp: { TcpExtListenDrops: 7, TcpExtTCPSynRetrans: 5, TcpExtListenOverflows: 7 },
    });
    expect(f).toMatchObject({ timeS: 0.5, startupS: 0.12, listenDrops: 7, synRetrans: 5, rssPerConnKb: 1, peakRssPerConnKb: 2 });
  });

  it('leaves the counters and the start-up blank for a run that did not read them', () => {
    const f = runFigures({ ok: true, connections: 10, establishMs: 50, baselineRss: 0, peakRss: 0, settledRss: 0, cpuSec: 0 });
    expect(f).toMatchObject({ startupS: null, listenDrops: null, synRetrans: null });
  });
});

describe('goals of the issue 11 and 25 cases', () => {
  const rampRun = (found: number, ms: number) => ({ ok: true, exact: found === 10_000, found, verdictMs: ms, peakRss: 2 ** 20, cpuSec: 1 });
  const plainRun = { ok: true, connections: 10_000, establishMs: 1000, baselineRss: 0, peakRss: 2 ** 20, settledRss: 2 ** 20, cpuSec: 1 };

  it('divides r10k by the plain loop, names the verdict in the goal and tags the goals with the issue', () => {
    const cases = [byId('a-ref'), byId('r10k')];
    const runs = new Map([
      ['a-ref', [plainRun]],
      ['r10k', [rampRun(10_000, 1500)]],
    ]);
    const summaries = summarize(cases, runs);
    expect(summaries[1]?.ratio).toBeCloseTo(1.5);
    expect(summaries[1]?.kind).toBe('ramp');
    expect(checkGoals(summaries)).toEqual([
      { case: 'r10k', issue: 25, goal: ratioGoalText('ramp', 1), figure: '1.50x', met: false },
      { case: 'r10k', issue: 25, goal: 'the cap found exactly, every run', figure: '1/1 exact', met: true },
    ]);
  });

  it('fails r10k when one run misses the cap or the ratio is above 1x', () => {
    const runs = new Map([
      ['a-ref', [plainRun]],
      ['r10k', [rampRun(10_000, 900), rampRun(9_998, 900)]],
    ]);
    const goals = checkGoals(summarize([byId('a-ref'), byId('r10k')], runs));
    expect(goals.map((g) => [g.figure, g.met])).toEqual([
      ['0.90x', true],
      ['1/2 exact', false],
    ]);
  });

  it('judges r1m by its time, the cap and every process at the peak over the first one at its start', () => {
    const run = (peakMb: number) => ({ ok: true, exact: true, found: 1_000_000, verdictMs: 50_000, peakRss: peakMb * 2 ** 20, baselineRss: 50 * 2 ** 20, cpuSec: 1 });
    const figures = runFigures(run(2050));
    // 2,000 MB above a 50 MB start over a million connections: 2.05 KB each.
    expect(figures.peakAboveStartMb).toBe(2000);
    expect(figures.peakRssPerConnKb).toBeCloseTo(2.048, 3);
    const goals = checkGoals(summarize([byId('r1m')], new Map([['r1m', [run(2050), run(2000), run(2200)]]])));
    expect(goals.map((g) => [g.goal, g.figure, g.met])).toEqual([
      ["memory of all tcpprobe processes at the peak, above the first one's start, <= 2000 MB", '2000 MB', true],
      ['exact cap found in <= 60 s', '50.00 s', true],
      ['the cap found exactly, every run', '3/3 exact', true],
    ]);
  });

  it('judges r1k by its time to the verdict and keeps issue 5 as the default issue', () => {
    const goals = checkGoals(summarize([byId('r1k'), byId('d')], new Map([['r1k', [{ ...rampRun(1000, 800), exact: true }]]])));
    expect(goals.filter((g) => g.case === 'r1k').map((g) => [g.issue, g.goal, g.figure, g.met])).toEqual([
      [11, 'exact cap found in <= 1 s', '0.80 s', true],
      [11, 'the cap found exactly, every run', '1/1 exact', true],
    ]);
    // d had no runs here: its goals are not met, and they are issue 5's.
    expect(goals.filter((g) => g.case === 'd').every((g) => g.issue === 5 && !g.met)).toBe(true);
  });

  it('words a ratio goal by what is timed', () => {
    expect(ratioGoalText('probe', 0.65)).toBe('time to establish <= 0.65x the plain loop');
    expect(ratioGoalText('ramp', 2)).toBe("time to the verdict <= 2x the plain loop's time to open as many");
  });
});
