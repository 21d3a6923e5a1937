/**
 * The built-in target as several processes (`tcpprobe serve --workers N`), so it holds more connections than one
 * process's open-files limit allows, with an exact global cap. This primary keeps admission (the ledger) and the
 * shared listening socket; workers accept on copies of it. The design and what was measured against the
 * alternatives: docs/performance.md, "How `serve --workers N` works".
 */
import { UsageError } from '../errors.js';
import type { EngineName } from '../types/pool-config.js';
import { AdmissionLedger } from './admission-ledger.js';
import {
  checkTargetServerOptions,
  TARGET_SERVER_DEFAULTS,
  type TargetServer,
  type TargetServerOptions,
} from './target-server.js';
import { targetStats, type TargetServerStats } from './target-stats.js';
import type { FromServeWorker, ServeWorkerSettings } from './serve-protocol.js';
import { SharedListener } from './shared-listener.js';
import { sendToWorker, spawnServeWorkers, stopServeWorker, type WorkerSlot } from './serve-workers.js';

/** Most worker processes: as many as `ramp --workers` allows. */
export const MAX_SERVE_WORKERS = 64;

/** Told when a worker process dies while serving: its connections are gone (the kernel closed them). */
export type WorkerLostListener = (name: string, connections: number) => void;

/** A running multi-process target: a TargetServer that can also tell how its connections are spread. */
export interface MultiProcessTarget extends TargetServer {
  /** Admitted open connections per worker process. */
  workerLoads(): WorkerLoad[];
}

/** One worker process of a multi-process target, as the primary knows it. */
export interface WorkerLoad {
  name: string;
  pid: number | null;
  /** Admitted connections open. */
  open: number;
  alive: boolean;
  accepting: boolean;
  /** Whose sockets hold its connections: the native core's accept path, or Node's (src/server/native-serving.ts). */
  engine: EngineName | null;
}

/** Problems with running `options` over `workers` processes (on top of checkTargetServerOptions). */
export function checkMultiProcessOptions(options: TargetServerOptions, workers: number): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_SERVE_WORKERS) {
    problems.push(`--workers: ${workers} must be 1 to ${MAX_SERVE_WORKERS}`);
  } else if (workers > 1 && options.overLimit === 'ignore' && options.maxConns !== null) {
    problems.push(
      '--over-limit ignore needs --workers 1: only a single accepting process can stop calling accept() while ' +
        'the kernel queue fills',
    );
  }
  return problems;
}

/**
 * Start the primary and `workers` worker processes; options not given take TARGET_SERVER_DEFAULTS. Resolves once
 * every worker is ready and accepting.
 * @param maxHeldPerWorker connections (admitted or waiting) at which a worker stops accepting; default: its
 *   open-files limit minus a reserve. Tests lower it to see the hand-over between workers.
 * @throws UsageError listing every bad option, including modes that cannot run over several processes.
 */
export async function startMultiProcessTarget(
  options: Partial<TargetServerOptions>,
  workers: number,
  onWorkerLost: WorkerLostListener | null = null,
  maxHeldPerWorker: number | null = null,
): Promise<MultiProcessTarget> {
  const resolved: TargetServerOptions = { ...TARGET_SERVER_DEFAULTS, ...options };
  const problems = [...checkTargetServerOptions(resolved), ...checkMultiProcessOptions(resolved, workers)];
  if (problems.length > 0) throw new UsageError(problems);
  const primary = new TargetPrimary(resolved, onWorkerLost);
  try {
    await primary.start(workers, maxHeldPerWorker);
  } catch (e) {
    await primary.close();
    throw e;
  }
  return primary;
}

class TargetPrimary implements MultiProcessTarget {
  private readonly slots: WorkerSlot[] = [];
  private readonly ledger: AdmissionLedger<WorkerSlot>;
  private readonly listener: SharedListener;
  private closing: Promise<void> | null = null;
  /** What workers were last told by `cap`: they turn new connections away on their own while true. */
  private atCapSignalled = false;

  constructor(
    private readonly options: TargetServerOptions,
    private readonly onWorkerLost: WorkerLostListener | null,
  ) {
    const ledger = new AdmissionLedger<WorkerSlot>(options);
    this.ledger = ledger;
    this.listener = new SharedListener(this.slots, {
      host: options.host,
      port: options.port,
      backlog: options.backlog,
      openOf: (slot) => ledger.openOf(slot),
      hasRoom: () => !ledger.atCap(),
    });
  }

  get host(): string {
    return this.listener.host;
  }

  get port(): number {
    return this.listener.port;
  }

  async start(workers: number, maxHeld: number | null): Promise<void> {
    const o = this.options;
    const settings: ServeWorkerSettings = {
      greeting: o.greeting,
      echo: o.echo,
      closeAfterMs: o.closeAfterMs,
      denial: o.overLimit === 'close' ? 'close' : 'reset',
      capped: o.maxConns !== null,
      overLimitMessage: o.overLimitMessage,
      backlog: o.backlog,
      maxHeld,
    };
    await spawnServeWorkers(this.slots, workers, settings, {
      message: (slot, msg, handle) => this.handleWorkerMessage(slot, msg, handle),
      exit: (slot) => this.handleWorkerExit(slot),
    });
    await this.listener.listen();
  }

  stats(): TargetServerStats {
    return targetStats(this.ledger.open, this.ledger.counts(), this.listener.accepting());
  }

  workerLoads(): WorkerLoad[] {
    return this.slots.map((s) => ({
      name: s.name,
      pid: s.child.pid ?? null,
      open: this.ledger.openOf(s),
      alive: s.alive,
      accepting: s.alive && s.listening,
      engine: s.engine,
    }));
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.listener.close();
    this.ledger.clear();
    await Promise.all(this.slots.map((slot) => stopServeWorker(slot)));
  }

  private handleWorkerMessage(slot: WorkerSlot, msg: FromServeWorker, handle: unknown): void {
    switch (msg.kind) {
      case 'listener':
        this.listener.lent(handle);
        return;
      case 'want':
        this.admit(slot, msg.count);
        return;
      case 'denied':
        this.ledger.turnedAway(msg.count);
        return;
      case 'opened':
        this.ledger.opened(slot, msg.count);
        return;
      case 'closed':
        this.ledger.closed(slot, msg.byClient, msg.byServer);
        this.signalCap();
        this.listener.maybeListenAgain();
        return;
      case 'unlistened':
        this.listener.unlistened(slot, msg.generation);
        return;
      case 'full':
        this.listener.full(slot, handle);
        return;
      case 'room':
        this.listener.room(slot);
        return;
      case 'ready':
      case 'stopped':
        return;
    }
  }

  /** Answer one `want` of `slot`: evictions first, then the grant, then the denials (its queue is oldest first). */
  private admit(slot: WorkerSlot, count: number): void {
    if (this.closing !== null) {
      sendToWorker(slot, { kind: 'deny', count });
      return;
    }
    const decision = this.ledger.admit(slot, count);
    for (const { id, worker } of decision.evicted) sendToWorker(worker, { kind: 'evict', id });
    if (decision.granted > 0) sendToWorker(slot, { kind: 'grant', firstId: decision.firstId, count: decision.granted });
    if (decision.denied > 0) sendToWorker(slot, { kind: 'deny', count: decision.denied });
    this.signalCap();
    if (this.options.overLimit === 'refuse' && this.ledger.atCap()) this.listener.pause();
  }

  /**
   * Tell every worker when the count reaches the cap and when it falls below, so at the cap they turn connections
   * away at once instead of each batch waiting for our answer (see `cap` in serve-protocol.ts). Not in evict mode,
   * where every connection is admitted in exchange for the oldest.
   */
  private signalCap(): void {
    const atCap = this.options.overLimit !== 'evict' && this.ledger.atCap() && this.closing === null;
    if (atCap === this.atCapSignalled) return;
    this.atCapSignalled = atCap;
    for (const slot of this.slots) sendToWorker(slot, { kind: 'cap', atCap });
  }

  /** A worker died: the kernel closed what it held, so those connections are gone (counted as server closes). */
  private handleWorkerExit(slot: WorkerSlot): void {
    if (!slot.alive) return;
    slot.alive = false;
    if (this.closing === null) {
      const lost = this.ledger.workerGone(slot);
      this.onWorkerLost?.(slot.name, lost);
      this.signalCap();
    }
    this.listener.workerGone(slot);
  }
}
