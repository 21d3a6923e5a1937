/**
 * Fleet flags -> validated options: the agent's (`tcpprobe agent`) and the controller's (`ramp --redis ...`).
 * Like every command's flags, all problems are reported at once, together with the probe flags' own problems.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseCount, parseDurationMs } from './units.js';
import { readSourceAddresses } from './local-address.js';
import { optional, Validator } from './validator.js';
import { readWorkers, type RawFlags } from './probe-options.js';
import { UsageError } from '../errors.js';
import { parseAllowRules, type AllowRule } from './allow-rules.js';
import { parseEngineFlag } from './engine-choice.js';
import type { EngineName } from '../types/pool-config.js';
import { hasPassword, parseRedisUrl, withPassword, type RedisLocation } from './redis-url.js';

/** Which agents a run wants: the first N idle ones by name, or these by name. */
export type AgentWant = { kind: 'count'; count: number } | { kind: 'names'; names: readonly string[] };

/** An agent's name (--name): also checked when a registration is read back from the store. */
export const AGENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

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
  /** --engine for this agent's pools; null: native where it loads (TLS runs always use js). */
  engine: EngineName | null;
  quiet: boolean;
}

/** The environment variable that may carry the Redis URL instead of --redis (kept out of `ps`). */
export const REDIS_URL_ENV = 'TCPPROBE_REDIS';

/** Help text of --redis-password-file, shared by the agent and the controller. */
export const REDIS_PASSWORD_FILE_HELP = 'read the Redis password from FILE (its first line), so it is not in the URL nor on the command line';

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

/** The password file's first line: trailing newline and carriage return are not part of the password. */
function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--redis-password-file: cannot read "${path}": ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const password = text.split('\n')[0]?.replace(/\r$/, '') ?? '';
  if (password === '') throw new UsageError(`--redis-password-file: "${path}" is empty`);
  return password;
}

/**
 * The Redis location from --redis, else from $TCPPROBE_REDIS, with the password from --redis-password-file if
 * given. Null (and a problem when `required`) when neither gives a URL.
 */
function readRedisLocation(raw: RawFlags, v: Validator, env: NodeJS.ProcessEnv, required: string | null): RedisLocation | null {
  const flagText = str(raw.redis);
  const envText = env[REDIS_URL_ENV] === undefined || env[REDIS_URL_ENV] === '' ? undefined : env[REDIS_URL_ENV];
  const text = flagText ?? envText;
  const source = flagText !== undefined ? '--redis' : REDIS_URL_ENV;
  const passwordFile = str(raw.redisPasswordFile);
  if (text === undefined) {
    if (required !== null) v.problem(required);
    else if (passwordFile !== undefined) v.problem(`--redis-password-file: needs --redis URL or $${REDIS_URL_ENV}`);
    return null;
  }
  const loc = v.field(() => parseRedisUrl(source, text), null);
  if (loc === null || passwordFile === undefined) return loc;
  const password = v.field(() => readPasswordFile(passwordFile), null);
  if (password === null) return null;
  if (hasPassword(loc)) {
    v.problem(`--redis-password-file: ${source} already has a password; give it in one place`);
    return null;
  }
  return withPassword(loc, password);
}

export function readAgentOptions(raw: RawFlags, env: NodeJS.ProcessEnv = process.env): Readonly<AgentOptions> {
  const v = new Validator();
  const redis = readRedisLocation(
    raw,
    v,
    env,
    `--redis: required (redis://[user@]host:port/db, or rediss:// for TLS), or set $${REDIS_URL_ENV}`,
  );
  const name = str(raw.name) ?? defaultAgentName();
  checkName(v, '--name', name);
  const allowTexts = list(raw.allowTarget);
  const allow = v.field(() => parseAllowRules(allowTexts), []);
  const sources = readSourceAddresses(raw.source, v);
  const workers = readWorkers(raw, v);
  const engine = v.field(() => parseEngineFlag(raw.engine), null);
  v.done();
  return Object.freeze({
    redis: redis as RedisLocation,
    name,
    allow,
    allowTexts,
    sources,
    workers,
    engine,
    quiet: raw.quiet === true,
  });
}

/** Read the controller's fleet flags into `v`; null when --redis is absent. */
export function readFleetOptions(raw: RawFlags, v: Validator, env: NodeJS.ProcessEnv = process.env): FleetOptions | null {
  // A fleet run is asked for by --redis or by naming agents; $TCPPROBE_REDIS alone never turns a local run into one.
  const asked = raw.redis !== undefined || raw.agents !== undefined || raw.agentNames !== undefined;
  if (!asked) {
    if (raw.agentWait !== undefined || raw.onAgentLoss !== undefined || raw.redisPasswordFile !== undefined) {
      v.problem('--agent-wait, --on-agent-loss and --redis-password-file need --redis (or --agents with $TCPPROBE_REDIS)');
    }
    return null;
  }
  const redis = readRedisLocation(raw, v, env, `--agents and --agent-names need --redis URL or $${REDIS_URL_ENV}`);
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
