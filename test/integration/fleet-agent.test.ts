/**
 * The agent loop (src/fleet/agent.ts) against an in-memory endpoint instead of Redis, and a real target on
 * loopback: runs it refuses (allowlist, bad spec, busy), and the three ways a run ends on the agent's own say (its
 * deadline, no first command, the controller's heartbeat gone), each with every socket closed and a final report.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllowRules } from '../../src/fleet/allowlist.js';
import { runAgent } from '../../src/fleet/agent.js';
import type { AgentEndpoint, RunAssignment } from '../../src/fleet/coordinator.js';
import type { AgentOptions } from '../../src/fleet/fleet-options.js';
import { parseRedisUrl } from '../../src/fleet/redis-url.js';
import { writeRunSpec, type FleetRunSpec } from '../../src/fleet/run-spec.js';
import type { ParticipantCommand, ParticipantMessage, TelemetryReport } from '../../src/workers/protocol.js';
import { startTarget } from '../helpers/target.js';

class FakeAssignment implements RunAssignment {
  readonly sent: ParticipantMessage[] = [];
  alive = true;
  ended = false;
  private commandFn: ((cmd: ParticipantCommand) => void) | null = null;
  private waiters: (() => void)[] = [];
  constructor(
    readonly runId: string,
    readonly spec: unknown,
  ) {}
  send(msg: ParticipantMessage): void {
    this.sent.push(msg);
    for (const w of this.waiters.splice(0)) w();
  }
  onCommand(fn: (cmd: ParticipantCommand) => void): void {
    this.commandFn = fn;
  }
  command(cmd: ParticipantCommand): void {
    if (this.commandFn === null) throw new Error('the agent does not listen for commands yet');
    this.commandFn(cmd);
  }
  async controllerAlive(): Promise<boolean> {
    return this.alive;
  }
  async end(): Promise<void> {
    this.ended = true;
  }
  /** Wait until a message matching `pred` was sent. */
  async waitFor(pred: (m: ParticipantMessage) => boolean, timeoutMs = 5000): Promise<ParticipantMessage> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.sent.find(pred);
      if (found !== undefined) return found;
      if (Date.now() > until) throw new Error(`no such message within ${timeoutMs} ms; sent: ${JSON.stringify(this.sent.slice(-3))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
}

class FakeEndpoint implements AgentEndpoint {
  readonly name = 'fake-1';
  readonly where = 'memory';
  runs: (string | null)[] = [];
  closed = false;
  private assign: ((a: RunAssignment) => void) | null = null;
  onAssignment(fn: (a: RunAssignment) => void): void {
    this.assign = fn;
  }
  onFatal(): void {}
  async setRun(runId: string | null): Promise<void> {
    this.runs.push(runId);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  deliver(a: FakeAssignment): FakeAssignment {
    if (this.assign === null) throw new Error('the agent is not listening yet');
    this.assign(a);
    return a;
  }
}

function spec(port: number, over: Partial<FleetRunSpec> = {}): Record<string, unknown> {
  return writeRunSpec({
    target: { host: '127.0.0.1', port, spread: false },
    engine: {
      maxInflight: 64,
      connectTimeoutMs: 2000,
      keepAliveMs: 0,
      settleMs: 50,
      reconnect: false,
      reconnectDelayMs: 0,
      service: null,
      tls: null,
    },
    plannedPerAgent: 100,
    deadlineMs: 60_000,
    startWithinMs: 30_000,
    controllerVersion: 'test',
    ...over,
  });
}

function options(allow: string[], workers: number): AgentOptions {
  return {
    redis: parseRedisUrl('--redis', 'redis://127.0.0.1:6379/0'),
    name: 'fake-1',
    allow: parseAllowRules(allow),
    allowTexts: allow,
    sources: null,
    workers,
    engine: null,
    quiet: true,
  };
}

const isFinal = (m: ParticipantMessage): boolean => m.kind === 'telemetry' && m.final;
const heldIn = (m: ParticipantMessage): number => (m as TelemetryReport).counters.held;

let stopAgent: AbortController | null = null;
let agentDone: Promise<void> | null = null;
let lines: string[] = [];

function start(allow: string[], workers = 1): FakeEndpoint {
  const endpoint = new FakeEndpoint();
  stopAgent = new AbortController();
  lines = [];
  agentDone = runAgent(endpoint, options(allow, workers), stopAgent.signal, (l) => lines.push(l));
  return endpoint;
}

afterEach(async () => {
  stopAgent?.abort();
  await agentDone;
  stopAgent = null;
  agentDone = null;
});

describe('agent loop', () => {
  it('refuses a target off its allowlist, and everything with no allowlist, with the reason', async () => {
    const target = await startTarget();
    const strict = start([`127.0.0.1:${target.port + 1}`]);
    const a = strict.deliver(new FakeAssignment('r1', spec(target.port)));
    const msg = await a.waitFor((m) => m.kind === 'failure');
    expect(msg).toMatchObject({ kind: 'failure', name: 'fake-1' });
    expect((msg as { reason: string }).reason).toContain(`127.0.0.1:${target.port} is not on its --allow-target list`);
    expect(a.ended).toBe(true);
    expect(target.stats().accepted).toBe(0);
    stopAgent?.abort();
    await agentDone;

    const open = start([]);
    const b = open.deliver(new FakeAssignment('r2', spec(target.port)));
    expect(await b.waitFor((m) => m.kind === 'failure')).toMatchObject({ reason: expect.stringMatching(/allows no targets/) });
  });

  it('refuses a spec it cannot read, naming the field', async () => {
    const endpoint = start(['127.0.0.0/8']);
    const a = endpoint.deliver(new FakeAssignment('r1', { ...spec(1), deadlineMs: 'soon' }));
    expect(await a.waitFor((m) => m.kind === 'failure')).toMatchObject({ reason: expect.stringMatching(/unreadable run spec \(deadlineMs/) });
  });

  it('runs an allowed target, refuses a second run while busy, and closes at its own deadline', async () => {
    const target = await startTarget();
    const endpoint = start(['127.0.0.0/8']);
    const a = endpoint.deliver(new FakeAssignment('r1', spec(target.port, { deadlineMs: 800 })));
    await a.waitFor((m) => m.kind === 'telemetry');
    a.command({ kind: 'open', seq: 1, count: 20 });
    await a.waitFor((m) => m.kind === 'telemetry' && heldIn(m) === 20);
    expect(endpoint.runs).toEqual(['r1']);

    const b = endpoint.deliver(new FakeAssignment('r2', spec(target.port)));
    expect(await b.waitFor((m) => m.kind === 'failure')).toMatchObject({ reason: 'busy with run r1' });

    // No close command comes: the deadline (800 ms after the first command) ends the run on the agent.
    const final = await a.waitFor(isFinal, 5000);
    expect(heldIn(final)).toBe(20);
    expect(lines.join('\n')).toMatch(/deadline of 800ms reached: closing every connection/);
    await expect.poll(() => target.stats().open, { timeout: 5000 }).toBe(0);
    await expect.poll(() => endpoint.runs.at(-1), { timeout: 2000 }).toBeNull();
  });

  it('gives up on a run whose first command never comes', async () => {
    const target = await startTarget();
    const endpoint = start(['127.0.0.0/8']);
    const a = endpoint.deliver(new FakeAssignment('r1', spec(target.port, { startWithinMs: 300 })));
    await a.waitFor(isFinal, 5000);
    expect(lines.join('\n')).toMatch(/no command within 300ms/);
  });

  it('closes the run when the controller heartbeat goes stale', async () => {
    const target = await startTarget();
    const endpoint = start(['127.0.0.0/8']);
    const a = endpoint.deliver(new FakeAssignment('r1', spec(target.port)));
    await a.waitFor((m) => m.kind === 'telemetry');
    a.command({ kind: 'open', seq: 1, count: 10 });
    await a.waitFor((m) => m.kind === 'telemetry' && heldIn(m) === 10);
    a.alive = false;
    await a.waitFor(isFinal, 5000);
    expect(lines.join('\n')).toMatch(/controller gone/);
    await expect.poll(() => target.stats().open, { timeout: 5000 }).toBe(0);
  });

  it('with --workers 2, holds its share in two worker processes and reports them as one participant', async () => {
    const target = await startTarget();
    const endpoint = start(['127.0.0.0/8'], 2);
    const a = endpoint.deliver(new FakeAssignment('r1', spec(target.port)));
    await a.waitFor((m) => m.kind === 'telemetry', 15_000);
    a.command({ kind: 'open', seq: 1, count: 30 });
    await a.waitFor((m) => m.kind === 'telemetry' && heldIn(m) === 30);
    expect(target.stats().open).toBe(30);
    a.command({ kind: 'close', seq: 2 });
    const final = (await a.waitFor(isFinal, 10_000)) as TelemetryReport;
    expect(final.appliedSeq).toBe(2);
    expect(final.counters.everHeld).toBe(30);
    expect(final.connectUs).not.toBeNull();
    await expect.poll(() => target.stats().open, { timeout: 5000 }).toBe(0);
    expect(lines.join('\n')).toMatch(/in 2 processes/);
  });

  it('closes the current run and deregisters when stopped', async () => {
    const target = await startTarget();
    const endpoint = start(['127.0.0.0/8']);
    const a = endpoint.deliver(new FakeAssignment('r1', spec(target.port)));
    await a.waitFor((m) => m.kind === 'telemetry');
    a.command({ kind: 'open', seq: 1, count: 5 });
    await a.waitFor((m) => m.kind === 'telemetry' && heldIn(m) === 5);
    stopAgent?.abort();
    await agentDone;
    expect(a.sent.some(isFinal)).toBe(true);
    expect(endpoint.closed).toBe(true);
    await expect.poll(() => target.stats().open, { timeout: 5000 }).toBe(0);
  });
});
