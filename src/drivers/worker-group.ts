/**
 * Worker processes on this machine: each has its own open-files limit and its share of the connections. The
 * parent keeps the controller; workers only run the engine (src/drivers/participant.ts).
 */
import { compiledEntry } from '../compiled-entry.js';
import { fork, type ChildProcess } from 'node:child_process';
import type { PoolConfig } from '../types/pool-config.js';
import type { ParticipantCommand, ParticipantMessage, WorkerStart } from '../types/participant-protocol.js';
import { RemoteDriver, type ParticipantLink } from './remote-driver.js';
import { childEntry } from '../single-file.js';

/** The compiled worker entry (src/compiled-entry.ts). */
function workerEntry(): string {
  return compiledEntry(import.meta.url, 'worker-main.js', 'worker entry');
}

/**
 * Node flags of worker processes, which only hold idle sockets and forward counters (figures in
 * docs/native-engine.md, 100,000 held over 6 workers): `--max-semi-space-size=1` (MB) caps V8's young generation,
 * which a ramp otherwise grows to 16 MB per semi-space and keeps; `--expose-gc` lets a worker run one compacting
 * collection once a ramp has settled (src/drivers/settle-gc.ts), and the worker has every full collection compact
 * (worker-main.ts). Together they took RSS per held connection from 3.9 KB to 1.9 KB settled (2.6-3.3 KB at the peak)
 * at no measurable cost in ramp speed; --optimize-for-size reached about the same but cost a third more CPU.
 * Added after the parent's own flags, which workers inherit as before.
 */
export const WORKER_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=1', '--expose-gc'];

/** Give each worker a disjoint slice of the source addresses when there are enough to go round. */
export function splitSources(sources: readonly string[], workers: number, index: number): string[] {
  if (sources.length < workers) return [...sources];
  return sources.filter((_, i) => i % workers === index);
}

class WorkerLink implements ParticipantLink {
  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {}
  send(cmd: ParticipantCommand): void {
    if (this.child.connected) this.child.send(cmd);
  }
  async dispose(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Start `count` workers and resolve once each has reported (so it is ready to open connections).
 * @param readyTimeoutMs how long to wait for every worker's first report
 * @param firstIndex numbering of the names (worker-N) when a run adds workers one at a time
 */
export async function startWorkerGroup(
  engine: PoolConfig,
  count: number,
  readyTimeoutMs = 10_000,
  firstIndex = 0,
): Promise<RemoteDriver> {
  const entry = childEntry('worker', workerEntry, WORKER_EXEC_ARGV);
  const children: ChildProcess[] = [];
  const links: WorkerLink[] = [];
  for (let i = 0; i < count; i++) {
    const child = fork(entry.modulePath, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: entry.execArgv,
      env: entry.env,
    });
    children.push(child);
    links.push(new WorkerLink(`worker-${firstIndex + i + 1}`, child));
  }
  const driver = new RemoteDriver(links, engine.sourceAddresses);
  const ready = new Set<string>();
  let onAllReady: () => void = () => undefined;
  const allReady = new Promise<void>((resolve) => (onAllReady = resolve));
  children.forEach((child, i) => {
    const name = `worker-${firstIndex + i + 1}`;
    child.on('message', (msg: ParticipantMessage) => {
      if (msg.kind === 'handshake-audit') driver.handleAudit(msg);
      if (msg.kind !== 'telemetry') return;
      driver.handleTelemetry(msg);
      if (!ready.has(name)) {
        ready.add(name);
        if (ready.size === count) onAllReady();
      }
    });
    child.on('exit', () => driver.markLost(name));
    child.on('error', () => driver.markLost(name));
    const start: WorkerStart = {
      kind: 'start',
      name,
      engine: { ...engine, sourceAddresses: splitSources(engine.sourceAddresses, count, i) },
    };
    child.send(start);
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    allReady.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), readyTimeoutMs))),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    await Promise.all(links.map((l) => l.dispose()));
    throw new Error(`worker processes did not start within ${readyTimeoutMs} ms`);
  }
  return driver;
}
