/**
 * Which socket layer a run uses: `--engine native|js`, default native where the addon loads. TLS runs on the JS
 * engine (the native core has none): asked for explicitly with --tls that is a usage error, by default it is
 * quietly the JS engine. The choice and, for the JS engine, why, go into the result and the report.
 */
import { UsageError } from '../errors.js';
import { ENGINE_ENV, nativeCoreProblem } from '../engine/native-addon.js';
import type { EngineName } from '../types/pool-config.js';
import type { EngineRecord } from '../metrics/result.js';

export { ENGINE_ENV };

/** The native core's way to bind source addresses: "reuseaddr" binds as libuv does, for measurement only. */
export const NATIVE_BIND_ENV = 'TCPPROBE_NATIVE_BIND';

export const ENGINE_HELP =
  'socket layer: native (epoll in C; the default where it built) or js (Node net/tls); --tls runs on js only';

/** The --engine flag (or $TCPPROBE_ENGINE), checked; null when neither is given. */
export function parseEngineFlag(raw: unknown): EngineName | null {
  const text = raw === undefined || raw === null ? process.env[ENGINE_ENV] : String(raw);
  if (text === undefined || text === '') return null;
  if (text === 'native' || text === 'js') return text;
  const from = raw === undefined || raw === null ? `$${ENGINE_ENV}` : '--engine';
  throw new UsageError(`${from}: "${text}" is not an engine (native or js)`);
}

/**
 * Whether the native core binds with IP_BIND_ADDRESS_NO_PORT, the default, or SO_REUSEADDR ($TCPPROBE_NATIVE_BIND=
 * reuseaddr), whose bind-time port search slows past about 7,000 per address (docs/native-engine.md). Read where
 * this machine's pool config is assembled (a run's setup, an agent's run), which hands it to the pool as
 * `nativeBindNoPort`.
 */
export function nativeBindNoPort(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[NATIVE_BIND_ENV] !== 'reuseaddr';
}

/** Whether a bound socket of `engine` gets its port at connect() (the preflight's slow zone follows it). */
export function portAtConnect(engine: EngineName, env: NodeJS.ProcessEnv = process.env): boolean {
  return engine === 'native' && nativeBindNoPort(env);
}

/**
 * The engine a run uses, from what was asked (null: the default) and whether it is TLS. Throws a UsageError for
 * native with TLS, and for native asked for where the native core does not load (no quiet fallback then).
 */
export function chooseEngine(requested: EngineName | null, tls: boolean, problem: () => string | null = nativeCoreProblem): EngineRecord {
  if (requested === 'js') return { name: 'js', why: 'asked for (--engine js)' };
  if (tls) {
    if (requested === 'native') throw new UsageError('--engine native: TLS runs on the JS engine only (use --engine js or leave --engine out)');
    return { name: 'js', why: 'TLS runs on the JS engine' };
  }
  const p = problem();
  if (p === null) return { name: 'native', why: null };
  if (requested === 'native') throw new UsageError(`--engine native: ${p}`);
  return { name: 'js', why: p };
}

/** The one line said on stderr when the default falls back to the JS engine for a reason other than TLS. */
export function fallbackLine(e: EngineRecord): string | null {
  return e.name === 'js' && e.why !== null && !e.why.startsWith('TLS') && !e.why.startsWith('asked')
    ? `tcpprobe: using the JS engine: ${e.why}`
    : null;
}
