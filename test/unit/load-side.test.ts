/**
 * The check that the load side was not the bottleneck: which limit each participant ran into (a client-side
 * failure class, or a busy core), how that turns a ramp's stop into client-limited naming them, and the words.
 */
import { describe, expect, it } from 'vitest';
import { loadSideStop } from '../../src/controller/detect.js';
import { CPU_BOUND, participantClientLimit, type RampStopReason } from '../../src/metrics/verdict.js';
import { rampVerdict } from '../../src/reporters/verdict-text.js';
import type { ProcessUse } from '../../src/types/participant-protocol.js';
import type { FailureClass } from '../../src/types/failure-class.js';

const use = (busiestCpu: number, busiestDemand: number | null = null): ProcessUse => ({
  processes: 1,
  cpuMs: 0,
  wallMs: 1000,
  busiestCpu,
  busiestDemand,
  startRssBytes: 0,
  peakRssBytes: 0,
  peakOpenFds: 0,
});

describe('participantClientLimit', () => {
  it.each<[string, Partial<Record<FailureClass, number>>, ProcessUse | undefined, string | null]>([
    ['no failure, an idle core', {}, use(0.2), null],
    ['server-side failures only', { refused: 40, timeout: 2 }, use(0.5), null],
    ['a client-side failure class', { 'closed-by-peer': 3, 'fd-limit': 1 }, use(0.2), 'fd-limit'],
    ['a failure class before a busy core', { ports: 5 }, use(0.97), 'ports'],
    ['a core kept busy', { refused: 1 }, use(CPU_BOUND), 'cpu'],
    ['just under the bound', {}, use(0.899), null],
    ['a core wanted but not had (a loaded machine): on it 0.8, waiting 0.15', {}, use(0.8, 0.95), 'cpu'],
    ['waiting a little, wanting less than the bound', {}, use(0.5, 0.7), null],
    ['use unknown (an older agent)', {}, undefined, null],
    ['a zero count is no failure', { 'fd-limit': 0 }, use(0.1), null],
  ])('%s: %s', (_what, classes, u, expected) => {
    expect(participantClientLimit(classes, u)).toBe(expected);
  });
});

describe('loadSideStop', () => {
  const parts = (...limits: (FailureClass | 'cpu' | null)[]) => limits.map((clientLimit, i) => ({ name: `a${i + 1}`, clientLimit }));

  it.each<[string, RampStopReason, ReturnType<typeof parts>, RampStopReason]>([
    ['no participant bound: unchanged', { kind: 'limit-by-failure', confirmed: true }, parts(null, null), { kind: 'limit-by-failure', confirmed: true }],
    ['a server-side class is no limit of the load side', { kind: 'limit-by-plateau' }, parts('refused'), { kind: 'limit-by-plateau' }],
    [
      'a busy agent turns a limit by failure into client-limited',
      { kind: 'limit-by-failure', confirmed: true },
      parts(null, 'cpu'),
      { kind: 'client-limited', limitedBy: 'cpu', participants: [{ name: 'a2', limit: 'cpu' }] },
    ],
    [
      'a plateau too, the first bound one giving the limit',
      { kind: 'limit-by-plateau' },
      parts('fd-limit', null, 'cpu'),
      { kind: 'client-limited', limitedBy: 'fd-limit', participants: [{ name: 'a1', limit: 'fd-limit' }, { name: 'a3', limit: 'cpu' }] },
    ],
    ['eviction', { kind: 'evicting' }, parts('cpu'), { kind: 'client-limited', limitedBy: 'cpu', participants: [{ name: 'a1', limit: 'cpu' }] }],
    [
      'a client-limited stop names who',
      { kind: 'client-limited', limitedBy: 'fd-limit' },
      parts(null, 'fd-limit'),
      { kind: 'client-limited', limitedBy: 'fd-limit', participants: [{ name: 'a2', limit: 'fd-limit' }] },
    ],
    ['max reached is already a lower bound', { kind: 'max-reached' }, parts('cpu'), { kind: 'max-reached' }],
    ['interrupted too', { kind: 'interrupted' }, parts('cpu'), { kind: 'interrupted' }],
    ['nothing held is not a capacity either way', { kind: 'unreachable' }, parts('cpu'), { kind: 'unreachable' }],
  ])('%s', (_what, stop, participants, expected) => {
    expect(loadSideStop(stop, participants)).toEqual(expected);
  });
});

describe('the verdict of a load side that bound the run', () => {
  it('names each bound participant and its limit, and advises for a busy core', () => {
    const v = rampVerdict({
      kind: 'client-limited',
      limitedBy: 'cpu',
      participants: [
        { name: 'a2', limit: 'cpu' },
        { name: 'a3', limit: 'fd-limit' },
      ],
      connections: 2400,
      failure: null,
    });
    expect(v).toEqual({
      kind: 'client-limited',
      summary: 'Inconclusive: limited by the load side (a2: cpu, a3: fd-limit), not by the server; the server holds at least 2,400.',
      lowerBound: true,
      clientLimit: { class: 'cpu', advice: expect.stringMatching(/--workers/) as unknown as string, participants: ['a2', 'a3'] },
    });
  });
});
