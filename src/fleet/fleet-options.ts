/**
 * Fleet flags -> validated options: the agent's (`tcpprobe agent`) and the controller's (`ramp --redis ...`).
 * Like every command's flags, all problems are reported at once, together with the probe flags' own problems.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { parseCount, parseDurationMs, parseSourceAddresses } from '../config/units.js';
import { optional, Validator } from '../config/validator.js';
import type { RawFlags } from '../config/probe-options.js';
import { UsageError } from '../errors.js';
import { parseAllowRules, type AllowRule } from './allowlist.js';
import type { AgentWant } from './coordinator.js';
import { parseRedisUrl, type RedisLocation } from './redis-url.js';
import { AGENT_NAME_PATTERN } from './wire.js';

export const FLEET_DEFAULTS = {
  /** How long a controller waits for its agents to register. */
  agentWaitMs: 30_000,
  /** A lost agent stops the run: a number measured by part of a fleet is not the number asked for. */
  onAgentLoss: 'abort',
} as const;

export type AgentLossPolicy = 'continue' | 'abort';

/** A controller's fleet settings (null when --redis is not given: a local run). */
export interface FleetOptions {
  redis: RedisLocation;
  want: AgentWant;
  agentWaitMs: number;
  onAgentLoss: AgentLossPolicy;
}

export interface AgentOptions {
  redis: RedisLocation;
  name: string;
  /** Parsed --allow-target rules; empty: every run is refused. */
  allow: AllowRule[];
  /** The rules as typed, for logs and the registration. */
  allowTexts: string[];
  /** --source addresses of this machine; null: chosen per run (planSourceAddresses). */
  sources: string[] | null;
  /** Processes holding this agent's connections; null: enough for each run's share under the open-files limit. */
  workers: number | null;
  quiet: boolean;
}

/** Register the controller's fleet flags on a probing command (ramp). */
export function addFleetFlags(cmd: Command): Command {
  return cmd
    .option('--redis <url>', 'run on a fleet of agents coordinated through this Redis: redis://[user:password@]host:port/db or rediss:// (see docs/fleet.md)')
    .option('--agents <n>', 'with --redis: run on N registered agents (the first N idle ones by name)')
    .option('--agent-names <a,b>', 'with --redis: run on these agents')
    .option('--agent-wait <dur>', `with --redis: wait this long for the agents to register (default ${FLEET_DEFAULTS.agentWaitMs / 1000}s)`)
    .option('--on-agent-loss <mode>', `with --redis: continue | abort the run when an agent is lost (default ${FLEET_DEFAULTS.onAgentLoss})`);
}

function str(raw: unknown): string | undefined {
  return raw === undefined || raw === null ? undefined : String(raw);
}

/** Repeated flags arrive as arrays; each value may also be a comma-separated list. */
function list(raw: unknown): string[] {
  const values = Array.isArray(raw) ? raw.map(String) : raw === undefined || raw === null ? [] : [String(raw)];
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/** The default agent name: this machine's host name, made safe for key names. */
export function defaultAgentName(): string {
  const name = os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return name === '' ? 'agent' : name;
}

function checkName(v: Validator, flag: string, name: string): void {
  if (!AGENT_NAME_PATTERN.test(name)) {
    v.problem(`${flag}: "${name}" is not a valid agent name (letters, digits, . _ -; up to 64; starting with a letter or digit)`);
  }
}

export function readAgentOptions(raw: RawFlags): Readonly<AgentOptions> {
  const v = new Validator();
  const redisText = str(raw.redis);
  let redis: RedisLocation | null = null;
  if (redisText === undefined) v.problem('--redis: required (redis://[user:password@]host:port/db, or rediss:// for TLS)');
  else redis = v.field(() => parseRedisUrl('--redis', redisText), null);
  const name = str(raw.name) ?? defaultAgentName();
  checkName(v, '--name', name);
  const allowTexts = list(raw.allowTarget);
  const allow = v.field(() => parseAllowRules(allowTexts), []);
  const sources = v.field(() => optional(raw.source, (s) => parseSourceAddresses('--source', s)), null);
  const workers = v.field(() => optional(raw.workers, (s) => parseCount('--workers', s)), null);
  if (workers !== null && (workers < 1 || workers > 64)) v.problem('--workers: must be 1 to 64');
  v.done();
  return Object.freeze({
    redis: redis as RedisLocation,
    name,
    allow,
    allowTexts,
    sources,
    workers,
    quiet: raw.quiet === true,
  });
}

/** Read the controller's fleet flags into `v`; null when --redis is absent. */
export function readFleetOptions(raw: RawFlags, v: Validator): FleetOptions | null {
  const redisText = str(raw.redis);
  if (redisText === undefined) {
    if (raw.agents !== undefined || raw.agentNames !== undefined || raw.agentWait !== undefined || raw.onAgentLoss !== undefined) {
      v.problem('--agents, --agent-names, --agent-wait and --on-agent-loss need --redis');
    }
    return null;
  }
  const redis = v.field(() => parseRedisUrl('--redis', redisText), null);
  const count = v.field(() => optional(raw.agents, (s) => parseCount('--agents', s)), null);
  const names = raw.agentNames === undefined ? null : list(raw.agentNames);
  let want: AgentWant = { kind: 'count', count: 1 };
  if (count !== null && names !== null) v.problem('--agents and --agent-names are alternatives: give one');
  else if (count === null && names === null) v.problem('--redis needs --agents N or --agent-names a,b (which agents run the probe)');
  else if (count !== null) {
    if (count < 1 || count > 1000) v.problem('--agents: must be 1 to 1000');
    want = { kind: 'count', count };
  } else if (names !== null) {
    if (names.length === 0) v.problem('--agent-names: no names given');
    for (const n of names) checkName(v, '--agent-names', n);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) v.problem(`--agent-names: "${dup}" is named twice`);
    want = { kind: 'names', names };
  }
  const agentWaitMs =
    v.field(() => optional(raw.agentWait, (s) => parseDurationMs('--agent-wait', s)), null) ?? FLEET_DEFAULTS.agentWaitMs;
  const policy = str(raw.onAgentLoss) ?? FLEET_DEFAULTS.onAgentLoss;
  if (policy !== 'continue' && policy !== 'abort') v.problem(`--on-agent-loss: "${policy}" is not one of continue, abort`);
  // Sources and processes are facts of each agent's machine: they are the agent's flags, not the controller's.
  if (raw.source !== undefined) v.problem('--source: with --redis each agent chooses its own sources (give --source to `tcpprobe agent`)');
  if (raw.workers !== undefined) v.problem('--workers: with --redis the agents hold the connections, not this process');
  return redis === null ? null : { redis, want, agentWaitMs, onAgentLoss: policy === 'continue' ? 'continue' : 'abort' };
}

/**
 * Read a command's own options and its fleet options together, so one usage error lists the problems of both.
 * @param readBase the command's reader (e.g. readRampOptions), which throws one UsageError for its own flags
 */
export function readWithFleetOptions<T>(raw: RawFlags, readBase: (raw: RawFlags) => T): { base: T; fleet: FleetOptions | null } {
  const v = new Validator();
  const fleet = readFleetOptions(raw, v);
  let base: T | null = null;
  try {
    base = readBase(raw);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    for (const p of e.problems) v.problem(p);
  }
  v.done();
  return { base: base as T, fleet };
}
