/**
 * `tcpprobe doctor`: the preflight on its own, without connecting. It reads this machine's limits, and with
 * --port (and --host) resolves the target and says which source addresses a run would bind and how many
 * connections this machine can hold to it, so a user can lift a client-side limit before blaming a server.
 */
import type { Command } from 'commander';
import { ENGINE_DEFAULTS } from '../config/probe-options.js';
import { readDoctorOptions, type DoctorOptions } from '../config/doctor-options.js';
import { ADAPTIVE_FIXED_RESOURCES_PLAN } from '../config/ramp-options.js';
import type { EngineRecord, TargetInfo } from '../metrics/result.js';
import type { CapacityAssessment } from '../preflight/capacity.js';
import { formatEndpoint } from '../preflight/address.js';
import { formatRunPreflight } from '../reporters/preflight.js';
import type { RunPreflight } from '../preflight/machine-check.js';
import type { SourcePlan } from '../preflight/source-plan.js';
import type { SystemLimits } from '../preflight/system-limits.js';
import type { DoctorDocumentSchema } from '../preflight/doctor-schema.js';
import type { Static } from 'typebox';
import { EXIT } from '../metrics/exit-codes.js';
import type { StopSignal } from './signals.js';

/** What doctor found: the same pieces a run's preflight is made of. */
export interface DoctorReport {
  limits: SystemLimits;
  /** The preflight a run would print: a default ramp's (resources follow the count) unless --connections, --source or --workers fix them. */
  preflight: RunPreflight;
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

/** Read the limits, resolve the target once and assess as a run would; never connects. Throws ProbeError for an unresolvable host. */
export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const [{ assessMachine, planResources }, { chooseEngine }] = await Promise.all([
    import('../setup/run-setup.js'),
    import('../config/engine-choice.js'),
  ]);
  const engine = chooseEngine(null, false);
  // Without --connections, --source and --workers, the plan a default ramp makes (its preflight is made the same way).
  const assessed = await assessMachine(o.target, false);
  const grow = o.connections === null && o.target?.sources == null && o.workers === null;
  const planned = planResources(
    assessed,
    grow
      ? { kind: 'grow' }
      : { kind: 'fixed', connections: o.connections ?? ADAPTIVE_FIXED_RESOURCES_PLAN, sources: o.target?.sources ?? null, workers: o.workers },
    engine,
  );
  const assessment = planned.preflight.assessment;
  return {
    limits: assessed.limits,
    preflight: planned.preflight,
    assessment,
    target: assessed.resolved?.info ?? null,
    sources: planned.sources ?? { addresses: [], reason: 'resources follow the held count (see "grows")' },
    workers: planned.preflight.workers,
    connections: { planned: assessment.plannedConnections, given: o.connections !== null },
    engine,
  };
}

/** The human report: what was assessed, the preflight as a run prints it, and why these source addresses. */
export function formatDoctorReport(r: DoctorReport): string {
  const where =
    r.target === null
      ? 'this machine (no target: give --host and --port to assess one)'
      : `${r.target.host} -> ${r.target.used.map((a) => formatEndpoint(a, r.target?.port ?? 0)).join(', ')}` +
        (r.target.resolved.length > r.target.used.length
          ? ` (${r.target.addressMode}; also resolves to ${r.target.resolved.filter((a) => !r.target?.used.includes(a)).join(', ')})`
          : '');
  const plan =
    r.preflight.growth !== null
      ? 'as a default ramp runs (resources follow the held count; plan a fixed count with --connections)'
      : `planning ${r.connections.planned.toLocaleString('en-US')} connections in ${r.workers} process${r.workers === 1 ? '' : 'es'}`;
  const lines = [`Preflight for ${where}, ${plan}`, formatRunPreflight(r.preflight)];
  if (r.preflight.growth === null) lines.push(`  source plan: ${r.sources.reason}`);
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
      next: a.next === null ? null : { limitedBy: a.next.limitedBy, connections: a.next.connections, basis: a.next.basis },
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
    .option('-c, --connections <n>', 'plan for N connections (default: what a default ramp may reach, adding processes and source addresses as it grows)')
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
