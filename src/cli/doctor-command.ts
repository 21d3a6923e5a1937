/**
 * `tcpprobe doctor`: the preflight on its own, without connecting. It reads this machine's limits, and with
 * --port (and --host) resolves the target and says which source addresses a run would bind and how many
 * connections this machine can hold to it, so a user can lift a client-side limit before blaming a server.
 */
import type { Command } from 'commander';
import { ENGINE_DEFAULTS, readTargetOptions, type TargetOptions } from '../config/probe-options.js';
import { parseCount } from '../config/units.js';
import { optional, Validator } from '../config/validator.js';
import type { EngineRecord, TargetInfo } from '../metrics/result.js';
import { MAX_WORKERS, type CapacityAssessment } from '../preflight/capacity.js';
import { formatEndpoint } from '../preflight/address.js';
import { formatPreflight } from '../preflight/format.js';
import type { SourcePlan } from '../preflight/source-plan.js';
import type { SystemLimits } from '../preflight/system-limits.js';
import type { DoctorDocumentSchema } from '../preflight/doctor-schema.js';
import type { Static } from 'typebox';
import { EXIT } from './exit-codes.js';
import type { StopSignal } from './signals.js';

/**
 * Connections planned when --connections is not given: what a default `tcpprobe ramp` may try
 * (its default rate for its default --max-duration), so doctor shows what such a run would meet.
 */
export const DOCTOR_DEFAULT_CONNECTIONS = 30_000;

export interface DoctorOptions {
  /** The target to assess; null: this machine's limits only. */
  target: TargetOptions | null;
  /** Connections the user plans (--connections), or DOCTOR_DEFAULT_CONNECTIONS. */
  connections: number;
  /** True when --connections was given (the report says which). */
  connectionsGiven: boolean;
  /** Worker processes (--workers); null: as many as a run would start for `connections`. */
  workers: number | null;
  json: boolean;
}

/** Flags -> one validated DoctorOptions, or one UsageError naming every bad flag. */
export function readDoctorOptions(raw: Record<string, unknown>): DoctorOptions {
  const v = new Validator();
  const hasTarget = raw.port !== undefined || raw.host !== undefined;
  const target = readTargetOptions(raw, v, hasTarget);
  if (!hasTarget && raw.spreadAddresses === true) v.problem('--spread-addresses: needs --port (and --host)');
  const connections = v.field(() => optional(raw.connections, (s) => parseCount('--connections', s)), null);
  if (connections !== null && connections < 1) v.problem('--connections: must be at least 1');
  const workers = v.field(() => optional(raw.workers, (s) => parseCount('--workers', s)), null);
  if (workers !== null && (workers < 1 || workers > MAX_WORKERS)) v.problem(`--workers: must be 1 to ${MAX_WORKERS}`);
  v.done();
  return {
    target: hasTarget ? target : null,
    connections: connections ?? DOCTOR_DEFAULT_CONNECTIONS,
    connectionsGiven: connections !== null,
    workers,
    json: raw.json === true,
  };
}

/** What doctor found: the same pieces a run's preflight is made of. */
export interface DoctorReport {
  limits: SystemLimits;
  assessment: CapacityAssessment;
  /** The resolved target; null without --port. */
  target: TargetInfo | null;
  sources: SourcePlan;
  workers: number;
  /** Connections the assessment was made for, and whether the user gave that number. */
  connections: { planned: number; given: boolean };
  /** The socket layer a run without --engine would use here (TCP; TLS runs on js), and why js. */
  engine: EngineRecord;
}

/** Read the limits, resolve the target once and assess; never connects. Throws ProbeError for an unresolvable host. */
export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  // Loaded when doctor runs, not with the CLI (see ramp-command.ts).
  const [{ resolveTarget }, { checkMachine }, { chooseEngine }] = await Promise.all([
    import('../engine/resolve.js'),
    import('../preflight/machine-check.js'),
    import('../config/engine-choice.js'),
  ]);
  const resolved =
    o.target === null ? null : await resolveTarget(o.target.host, o.target.port, { spread: o.target.spreadAddresses, tls: false });
  const { limits, sources, workers, assessment } = await checkMachine(
    resolved?.addresses ?? [],
    o.connections,
    o.target?.sources ?? null,
    o.workers,
  );
  return {
    limits,
    assessment,
    target: resolved?.info ?? null,
    sources,
    workers,
    connections: { planned: o.connections, given: o.connectionsGiven },
    engine: chooseEngine(null, false),
  };
}

/** The human report: what was assessed, the preflight, and why these source addresses. */
export function formatDoctorReport(r: DoctorReport): string {
  const planned = `${r.connections.planned.toLocaleString('en-US')} connections${r.connections.given ? '' : ' (a default ramp; set with --connections)'}`;
  const where =
    r.target === null
      ? 'this machine (no target: give --host and --port to assess one)'
      : `${r.target.host} -> ${r.target.used.map((a) => formatEndpoint(a, r.target?.port ?? 0)).join(', ')}` +
        (r.target.resolved.length > r.target.used.length
          ? ` (${r.target.addressMode}; also resolves to ${r.target.resolved.filter((a) => !r.target?.used.includes(a)).join(', ')})`
          : '');
  const lines = [
    `Preflight for ${where}, planning ${planned} in ${r.workers} process${r.workers === 1 ? '' : 'es'}`,
    formatPreflight(r.assessment, r.limits, r.sources.addresses),
    `  source plan: ${r.sources.reason}`,
    `  engine: ${r.engine.name}${r.engine.why === null ? ' (the native core loads here)' : ` (${r.engine.why})`}`,
  ];
  return lines.join('\n');
}

export const DOCTOR_SCHEMA = 'tcpprobe/doctor' as const;
export const DOCTOR_SCHEMA_VERSION = 1 as const;

/** What `doctor --json` prints: the report in JSON terms (preflight/doctor-schema.ts defines it). */
export type DoctorDocument = Static<typeof DoctorDocumentSchema>;

/** JSON has no Infinity: an unlimited open-files limit becomes "unlimited". */
function countOrUnlimited(n: number | null): number | 'unlimited' | null {
  return n === Number.POSITIVE_INFINITY ? 'unlimited' : n;
}

/**
 * The report as the document names it. `maxConnections` is Infinity only when no limit could be read, which
 * `limitedBy: null` already says, so it becomes null.
 */
export function doctorDocument(r: DoctorReport): DoctorDocument {
  const a = r.assessment;
  return {
    schema: DOCTOR_SCHEMA,
    schemaVersion: DOCTOR_SCHEMA_VERSION,
    limits: { ...r.limits, openFilesSoft: countOrUnlimited(r.limits.openFilesSoft), openFilesHard: countOrUnlimited(r.limits.openFilesHard) },
    assessment: {
      maxConnections: Number.isFinite(a.maxConnections) ? a.maxConnections : null,
      limitedBy: a.limitedBy,
      plannedConnections: a.plannedConnections,
      targets: a.targets.map((t) => ({ address: t.address, port: t.port })),
      findings: a.findings.map((f) => ({ ...f, reach: f.reach !== null && Number.isFinite(f.reach) ? f.reach : null })),
    },
    target: r.target,
    sources: { addresses: r.sources.addresses, reason: r.sources.reason },
    workers: r.workers,
    connections: r.connections,
    engine: { name: r.engine.name, why: r.engine.why },
  };
}

export function registerDoctorCommand(program: Command, run: (fn: (stop: StopSignal) => Promise<number>) => Promise<void>): void {
  program
    .command('doctor')
    .description("check this machine's own connection limits (and, with --port, how many connections it can hold to a target)")
    .option('--host <host>', `target host name or address (default ${ENGINE_DEFAULTS.host} when --port is given)`)
    .option('--port <port>', 'target TCP port: assess this target')
    .option('-c, --connections <n>', `connections you plan (default ${DOCTOR_DEFAULT_CONNECTIONS}, what a default ramp may try)`)
    .option('--source <addrs>', 'local source addresses: A,B or a range 127.0.0.2-127.0.0.40 (default: chosen by tcpprobe)')
    .option('--spread-addresses', 'spread over every address the host resolves to (default: pin the first)')
    .option('--workers <n>', 'processes that would hold connections (default: enough under the open-files limit)')
    .option('--json', 'print the limits and the assessment as JSON on stdout')
    .action(async (flags: Record<string, unknown>) => {
      const options = readDoctorOptions(flags);
      await run(async () => {
        const report = await runDoctor(options);
        process.stdout.write(
          options.json ? `${JSON.stringify(doctorDocument(report), null, 2)}\n` : `${formatDoctorReport(report)}\n`,
        );
        // Doctor reports; finding a limit is not a failure of the command.
        return EXIT.ok;
      });
    });
}
