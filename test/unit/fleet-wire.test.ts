/**
 * The pure parts of the fleet: flags, --redis URLs (never printed with their password), the run spec's wire form,
 * what an agent or controller accepts from the store, which agents a run picks, and the one line for each way
 * Redis fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Validator } from '../../src/config/validator.js';
import { pickAgents, type AgentRecord } from '../../src/fleet/coordinator.js';
import { readAgentOptions, readFleetOptions, readWithFleetOptions } from '../../src/config/fleet-options.js';
import { describeRedisError } from '../../src/fleet/redis-errors.js';
import { parseRedisUrl } from '../../src/config/redis-url.js';
import { readRunSpec, RunSpecError, writeRunSpec, type FleetRunSpec } from '../../src/fleet/run-spec.js';
import { readAgentRecord, readParticipantCommand, readParticipantMessage } from '../../src/fleet/wire.js';
import { ProbeError, UsageError } from '../../src/errors.js';

function problems(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof UsageError) return e.problems;
    throw e;
  }
  return [];
}

describe('--redis URLs', () => {
  it('accepts redis:// and rediss:// with user, password and db, and hides the password', () => {
    const loc = parseRedisUrl('--redis', 'rediss://probe:s3cret@redis.internal:6380/2');
    expect(loc).toMatchObject({ endpoint: 'redis.internal:6380', tls: true, display: 'rediss://probe:***@redis.internal:6380/2' });
    expect(loc.url).toContain('s3cret');
    expect(parseRedisUrl('--redis', 'redis://10.0.0.5')).toMatchObject({ endpoint: '10.0.0.5:6379', tls: false });
    expect(parseRedisUrl('--redis', 'redis://[::1]:6379/0').endpoint).toBe('[::1]:6379');
  });

  it('refuses other schemes, missing hosts and non-numeric paths, without echoing the password', () => {
    expect(() => parseRedisUrl('--redis', 'http://:pw@h:1')).toThrow(/must start with redis:\/\/ or rediss:\/\//);
    expect(() => parseRedisUrl('--redis', 'http://:pw@h:1')).not.toThrow(/pw/);
    expect(() => parseRedisUrl('--redis', 'redis://h:1/zero')).toThrow(/database number/);
    expect(() => parseRedisUrl('--redis', 'not a url')).toThrow(/not a URL/);
  });
});

describe('fleet flags', () => {
  const base = (): { ok: true } => ({ ok: true });

  it('reads the controller flags, with defaults', () => {
    const { fleet } = readWithFleetOptions({ redis: 'redis://h:1/0', agents: '3' }, base);
    expect(fleet).toMatchObject({ want: { kind: 'count', count: 3 }, agentWaitMs: 30_000, onAgentLoss: 'abort' });
    const named = readWithFleetOptions({ redis: 'redis://h:1/0', agentNames: 'a,b', agentWait: '5s', onAgentLoss: 'continue' }, base);
    expect(named.fleet).toMatchObject({ want: { kind: 'names', names: ['a', 'b'] }, agentWaitMs: 5000, onAgentLoss: 'continue' });
    expect(readWithFleetOptions({}, base).fleet).toBeNull();
  });

  it('lists every problem at once, together with the command\'s own', () => {
    const ps = problems(() =>
      readWithFleetOptions({ redis: 'redis://h:1/0', agents: '2', agentNames: 'a', onAgentLoss: 'later', source: '127.0.0.2', workers: '2' }, () => {
        throw new UsageError('--rate: must be above 0');
      }),
    );
    expect(ps).toEqual([
      '--agents and --agent-names are alternatives: give one',
      '--on-agent-loss: "later" is not one of continue, abort',
      expect.stringMatching(/^--source: with --redis each agent chooses its own sources/),
      expect.stringMatching(/^--workers: with --redis/),
      '--rate: must be above 0',
    ]);
    expect(problems(() => readWithFleetOptions({ agents: '2' }, base))).toEqual([expect.stringMatching(/need --redis/)]);
    expect(problems(() => readWithFleetOptions({ redis: 'redis://h:1' }, base))).toEqual([expect.stringMatching(/needs --agents N or --agent-names/)]);
    expect(problems(() => readWithFleetOptions({ redis: 'redis://h:1', agentNames: 'a,a,b:c' }, base))).toHaveLength(2);
  });

  it('reads the agent flags: repeated and comma-separated --allow-target, --source, a default name', () => {
    const o = readAgentOptions({ redis: 'redis://h:1/0', allowTarget: ['10.0.0.0/8,127.0.0.1:80', '[::1]:6379'], source: '127.0.0.10-127.0.0.11' });
    expect(o.allowTexts).toEqual(['10.0.0.0/8', '127.0.0.1:80', '[::1]:6379']);
    expect(o.allow).toHaveLength(3);
    expect(o.sources).toEqual(['127.0.0.10', '127.0.0.11']);
    expect(o.name).toMatch(/^[A-Za-z0-9]/);
    expect(readAgentOptions({ redis: 'redis://h:1/0' }).allow).toEqual([]);
    expect(problems(() => readAgentOptions({ name: 'a b', allowTarget: ['nope'] }, {}))).toHaveLength(3);
  });
});

describe('the Redis URL and password kept out of argv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tcpprobe-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  it('the agent takes the URL from $TCPPROBE_REDIS and the password from --redis-password-file (first line only)', () => {
    const pw = file('pw', 's3cr%t@:/x\nignored second line\n');
    const o = readAgentOptions({ redisPasswordFile: pw }, { TCPPROBE_REDIS: 'redis://tcpprobe@10.0.0.5:6379/0' });
    // The client decodes the percent-encoded password back to the file's first line.
    expect(decodeURIComponent(new URL(o.redis.url).password)).toBe('s3cr%t@:/x');
    expect(new URL(o.redis.url).username).toBe('tcpprobe');
    expect(o.redis.display).toBe('redis://tcpprobe:***@10.0.0.5:6379/0');
    expect(o.redis.endpoint).toBe('10.0.0.5:6379');
  });

  it('--redis wins over $TCPPROBE_REDIS; a CRLF file works', () => {
    const o = readAgentOptions({ redis: 'redis://h:1/0', redisPasswordFile: file('crlf', 'pw\r\n') }, { TCPPROBE_REDIS: 'redis://other:2/0' });
    expect(o.redis.endpoint).toBe('h:1');
    expect(new URL(o.redis.url).password).toBe('pw');
  });

  it('refuses a missing or empty file, a password given twice, and no URL at all, one problem each', () => {
    expect(problems(() => readAgentOptions({ redis: 'redis://h:1/0', redisPasswordFile: join(dir, 'nope') }, {}))).toEqual([
      expect.stringMatching(/^--redis-password-file: cannot read ".*nope": ENOENT$/),
    ]);
    expect(problems(() => readAgentOptions({ redis: 'redis://h:1/0', redisPasswordFile: file('empty', '\n') }, {}))).toEqual([
      expect.stringMatching(/^--redis-password-file: ".*empty" is empty$/),
    ]);
    expect(problems(() => readAgentOptions({ redisPasswordFile: file('pw2', 'x') }, { TCPPROBE_REDIS: 'redis://:inline@h:1/0' }))).toEqual([
      '--redis-password-file: TCPPROBE_REDIS already has a password; give it in one place',
    ]);
    expect(problems(() => readAgentOptions({}, {}))).toEqual([expect.stringMatching(/^--redis: required .*or set \$TCPPROBE_REDIS$/)]);
  });

  it('the controller: $TCPPROBE_REDIS serves --agents, but never turns a local ramp into a fleet run', () => {
    const env = { TCPPROBE_REDIS: 'redis://h:1/0' };
    const fleet = (raw: Record<string, unknown>, e: NodeJS.ProcessEnv) => {
      const v = new Validator();
      const f = readFleetOptions(raw, v, e);
      v.done();
      return f;
    };
    expect(fleet({ agents: '2' }, env)?.redis.endpoint).toBe('h:1');
    expect(fleet({}, env)).toBeNull();
    expect(problems(() => fleet({ agents: '2' }, {}))).toEqual(['--agents and --agent-names need --redis URL or $TCPPROBE_REDIS']);
    expect(problems(() => fleet({ redisPasswordFile: file('pw3', 'x') }, env))).toEqual([expect.stringMatching(/--redis-password-file need --redis/)]);
  });
});

describe('run spec wire form', () => {
  const spec: FleetRunSpec = {
    target: { host: 'db.internal', port: 5432, spread: true },
    engine: {
      maxInflight: 100,
      connectTimeoutMs: 2000,
      keepAliveMs: 30_000,
      settleMs: 100,
      reconnect: true,
      reconnectDelayMs: 0,
      reconnectHeldOnly: true,
      service: {
        send: new Uint8Array([0x50, 0x49, 0x4e, 0x47, 0x0d, 0x0a, 0x00, 0xff]),
        expect: { kind: 'regex', source: '^\\+PONG', flags: 'm' },
        reject: { kind: 'text', text: '-ERR max' },
        expectTimeoutMs: 1500,
      },
      tls: { servername: 'db.internal', insecure: false, ca: '-----BEGIN CERTIFICATE-----' },
    },
    plannedPerAgent: 8000,
    deadlineMs: 65_000,
    startWithinMs: 30_000,
    controllerVersion: '0.1.0',
  };

  it('survives JSON unchanged, binary bytes included', () => {
    const back = readRunSpec(JSON.parse(JSON.stringify(writeRunSpec(spec))) as unknown);
    expect(back).toEqual(spec);
  });

  it("an older controller's spec without reconnectHeldOnly reconnects everything, as it did", () => {
    const wire = writeRunSpec(spec);
    const { reconnectHeldOnly: _omitted, ...olderEngine } = wire.engine as Record<string, unknown>;
    expect(readRunSpec({ ...wire, engine: olderEngine }).engine.reconnectHeldOnly).toBe(false);
  });

  it('refuses what it does not understand, naming the field', () => {
    const wire = writeRunSpec(spec);
    expect(() => readRunSpec(null)).toThrow(RunSpecError);
    expect(() => readRunSpec({ ...wire, v: 2 })).toThrow(/different tcpprobe versions/);
    expect(() => readRunSpec({ ...wire, target: { host: 'h', port: 70000, spread: false } })).toThrow(/port/);
    expect(() => readRunSpec({ ...wire, deadlineMs: 10 ** 12 })).toThrow(/deadlineMs/);
    const badRegex = { ...wire, engine: { ...(wire.engine as object), service: { expect: { kind: 'regex', source: '(', flags: '' }, expectTimeoutMs: 1 } } };
    expect(() => readRunSpec(badRegex)).toThrow(/bad regular expression/);
  });
});

describe('what crosses the store', () => {
  it('accepts well-formed telemetry, failures and commands, and drops the rest', () => {
    const counters = { requested: 1, attempted: 1, queued: 0, connecting: 0, established: 0, held: 1, peakHeld: 1, everHeld: 1, connected: 1, lost: 0, failed: 0, reconnects: 0, failuresByClass: {} };
    const t = { kind: 'telemetry', name: 'a', appliedSeq: 3, counters, firstFailures: [], connectUs: null, tlsUs: null, fdLimit: 1024, final: false };
    expect(readParticipantMessage(JSON.stringify(t))).toEqual(t);
    // The engine an agent ran: kept when it is one we know, left out otherwise (and from an older agent, above).
    expect(readParticipantMessage(JSON.stringify({ ...t, engine: 'js' }))).toEqual({ ...t, engine: 'js' });
    expect(readParticipantMessage(JSON.stringify({ ...t, engine: 'quantum' }))).toEqual(t);
    // Its resource use: kept when whole and sane; anything else is left unsaid (unknown), never the report dropped.
    const use = { processes: 3, cpuMs: 1200, wallMs: 4000, busiestCpu: 0.41, busiestDemand: 0.5, startRssBytes: 9e7, peakRssBytes: 1.2e8, peakOpenFds: null };
    expect(readParticipantMessage(JSON.stringify({ ...t, use }))).toEqual({ ...t, use });
    expect(readParticipantMessage(JSON.stringify({ ...t, use: { ...use, peakOpenFds: 812 } }))).toEqual({ ...t, use: { ...use, peakOpenFds: 812 } });
    expect(readParticipantMessage(JSON.stringify({ ...t, use: { ...use, cpuMs: -1 } }))).toEqual(t);
    expect(readParticipantMessage(JSON.stringify({ ...t, use: { ...use, busiestCpu: 'lots' } }))).toEqual(t);
    // The demand for a core alone may be unknown (no schedstat there): the rest stands.
    expect(readParticipantMessage(JSON.stringify({ ...t, use: { ...use, busiestDemand: 'x' } }))).toEqual({ ...t, use: { ...use, busiestDemand: null } });
    expect(readParticipantMessage(JSON.stringify({ ...t, use: { ...use, processes: undefined } }))).toEqual(t);
    expect(readParticipantMessage(JSON.stringify({ kind: 'failure', name: 'a', reason: 'no' }))).toEqual({ kind: 'failure', name: 'a', reason: 'no' });
    expect(readParticipantMessage(JSON.stringify({ ...t, counters: { ...counters, held: 'many' } }))).toBeNull();
    expect(readParticipantMessage(JSON.stringify({ kind: 'start' }))).toBeNull();
    expect(readParticipantMessage('{not json')).toBeNull();
    expect(readParticipantCommand(JSON.stringify({ kind: 'open', seq: 4, count: 10 }))).toEqual({ kind: 'open', seq: 4, count: 10 });
    expect(readParticipantCommand(JSON.stringify({ kind: 'close', seq: 5 }))).toEqual({ kind: 'close', seq: 5 });
    // The confirmation stage's release and the handshake audit reach agents over the wire too.
    expect(readParticipantCommand(JSON.stringify({ kind: 'release', seq: 6 }))).toEqual({ kind: 'release', seq: 6 });
    expect(readParticipantCommand(JSON.stringify({ kind: 'audit-handshakes', seq: 7, maxWaitMs: 5000 }))).toEqual({ kind: 'audit-handshakes', seq: 7, maxWaitMs: 5000 });
    expect(readParticipantCommand(JSON.stringify({ kind: 'open', seq: 4, count: 1e12 }))).toBeNull();
    expect(readParticipantCommand(JSON.stringify({ kind: 'rm -rf', seq: 1 }))).toBeNull();
    expect(readAgentRecord(JSON.stringify({ name: 'bad name', instance: 'x', runId: null, allow: [] }))).toBeNull();
    expect(readAgentRecord(JSON.stringify({ name: 'a1', instance: 'x', runId: null, allow: ['10.0.0.0/8'] }))).toMatchObject({ name: 'a1', sources: [] });
  });
});

describe('pickAgents', () => {
  const agent = (name: string, runId: string | null = null): AgentRecord => ({
    name,
    instance: `i-${name}`,
    host: 'h',
    pid: 1,
    version: 't',
    runId,
    allow: [],
    fdLimit: null,
    sources: [],
  });

  it('takes the first idle agents by name, or exactly the named ones', () => {
    const all = [agent('c'), agent('a'), agent('b', 'run-1'), agent('d')];
    expect(pickAgents({ kind: 'count', count: 2 }, all)).toMatchObject({ ok: true, agents: [{ name: 'a' }, { name: 'c' }] });
    expect(pickAgents({ kind: 'names', names: ['d', 'a'] }, all)).toMatchObject({ ok: true, agents: [{ name: 'd' }, { name: 'a' }] });
  });

  it('says who is missing or busy', () => {
    const all = [agent('a'), agent('b', 'run-1')];
    expect(pickAgents({ kind: 'count', count: 3 }, all)).toEqual({ ok: false, problem: '1 of 3 agents ready (idle: a; b (busy with run run-1))' });
    expect(pickAgents({ kind: 'names', names: ['a', 'b', 'z'] }, all)).toEqual({
      ok: false,
      problem: 'agents not ready: b (busy with run run-1), z (not registered)',
    });
  });
});

describe('describeRedisError', () => {
  const at = '10.0.0.5:6379';
  const line = (e: unknown): string => {
    const d = describeRedisError(e, at, 3000);
    expect(d).toBeInstanceOf(ProbeError);
    expect(d.code).toBe('redis');
    return d.message;
  };

  it('gives one line for each way a connection fails', () => {
    expect(line(new Error('WRONGPASS invalid username-password pair or user is disabled.'))).toBe(
      'redis: authentication failed (WRONGPASS invalid username-password pair or user is disabled.)',
    );
    expect(line(new Error('NOAUTH Authentication required.'))).toMatch(/^redis: authentication required \(NOAUTH\)/);
    expect(line(new Error("NOPERM User tcpprobe has no permissions to run the 'xadd' command"))).toMatch(/^redis: the user may not do this \(NOPERM/);
    expect(line(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6379'), { code: 'ECONNREFUSED' }))).toBe(
      'redis: cannot connect to 10.0.0.5:6379 (ECONNREFUSED: nothing listens there)',
    );
    expect(line(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }))).toBe('redis: no answer from 10.0.0.5:6379 within 3s');
    expect(line(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }))).toMatch(/^redis: TLS to 10\.0\.0\.5:6379 failed .*NODE_EXTRA_CA_CERTS/);
    expect(line(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toMatch(/rediss:\/\//);
    expect(line(new Error('Unknown RESP type 72 "H". Please report this.'))).toBe('redis: 10.0.0.5:6379 does not speak the Redis protocol');
  });
});
