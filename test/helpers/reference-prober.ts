/**
 * The SLOW reference prober that conformance tests trust more than tcpprobe: it opens connections ONE AT A TIME to
 * a real server, each only after the previous one finished its handshake (and, when asked, got the server's real
 * reply to one real request) and then stayed open for a short observation window, or failed. It never bursts, so
 * it never provokes what a burst provokes (ListenOverflows, SYN floods, accept batching); what it counts is the
 * server's truth for one client address.
 *
 * Imports only node: built-ins on purpose: the connlimit test transpiles this one file and runs it inside a
 * network namespace with plain `node` (see `referenceProberSource` users in test/helpers/real-servers.ts).
 *
 * Bounded: at most `maxConnections` attempts and `maxDurationMs` of probing; only 127.0.0.0/8 targets; every socket
 * it opened is closed with RST at the end, so nothing is left in TIME_WAIT.
 */
import net from 'node:net';
import tls from 'node:tls';

/** One real request per connection and what its real reply starts with. */
export type ReferenceProtocol = 'none' | 'redis' | 'memcached' | 'http';

const REQUESTS: Readonly<Record<Exclude<ReferenceProtocol, 'none'>, { send: string; reply: string }>> = {
  redis: { send: 'PING\r\n', reply: '+PONG' },
  memcached: { send: 'version\r\n', reply: 'VERSION' },
  http: { send: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', reply: 'HTTP/1.1 ' },
};

export interface ReferenceOptions {
  /** Target address; must be in 127.0.0.0/8. Default 127.0.0.1. */
  host?: string;
  port: number;
  /** Send this protocol's request on each connection and wait for its reply. Default 'none' (TCP only). */
  protocol?: ReferenceProtocol;
  /** Connect with TLS (any certificate accepted; a throwaway test certificate); open = handshake done. */
  tls?: boolean;
  /** Hard bound on attempts. */
  maxConnections: number;
  /** Hard bound on the probing loop, ms (the final wait comes on top). Default 60,000. */
  maxDurationMs?: number;
  /** Stop after this many consecutive failed attempts. Default 4. */
  stopAfterFailures?: number;
  /** How long a fresh connection must stay open to count, ms. Default 20. */
  observeMs?: number;
  /** A handshake not done by then is a timeout, ms. Default 1000. */
  connectTimeoutMs?: number;
  /** No reply by then: the connection is unserved (it may still be open at TCP level), ms. Default 300. */
  replyTimeoutMs?: number;
  /**
   * After this many consecutive unserved connections, stop sending requests and only count TCP (a server that
   * stopped accepting would otherwise cost replyTimeoutMs per connection in its accept queue). Default 3.
   */
  stopRequestsAfterUnserved?: number;
  /** Wait this long after the last attempt before counting what is still open, ms. Default 1000. */
  finalWaitMs?: number;
}

/** How one attempt ended within its own step. */
export type AttemptOutcome = 'open' | 'closed' | 'reset' | 'refused' | 'timeout' | 'tls' | 'error';

export interface ReferenceAttempt {
  outcome: AttemptOutcome;
  /** Got the real reply to its request. */
  served: boolean;
  /** The first bytes the server sent (reply or error line), latin1, at most 200 characters. */
  serverSaid: string;
  /** errno code for failed attempts. */
  code?: string;
}

export interface ReferenceResult {
  attempts: number;
  /** Connections still open (not closed by the server) after the final wait. */
  tcpOpen: number;
  /** The most connections open at once at any time (a connection counts once it survived its observation). */
  maxOpen: number;
  /** Connections that got the real reply to their request. */
  served: number;
  /** Connections that had counted as open and were later closed or reset by the server (evictions). */
  evictions: number;
  /** The most connections the server closed during one attempt's step. */
  largestBatch: number;
  /** Open count just before the first eviction, or null. */
  openAtFirstEviction: number | null;
  /** Attempt outcomes by kind. */
  outcomes: Record<AttemptOutcome, number>;
  /** The first failed attempt (index from 0), or null. */
  firstFailure: (ReferenceAttempt & { index: number }) | null;
  /** Why the loop stopped. */
  stoppedBy: 'failures' | 'bound' | 'time';
  durationMs: number;
}

interface Tracked {
  raw: net.Socket;
  counted: boolean;
  alive: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function assertLoopback(host: string): void {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (m === null || m.slice(1).some((o) => Number(o) > 255)) {
    throw new Error(`reference prober only connects to 127.0.0.0/8, not ${host}`);
  }
}

/** Probe one server slowly; resolves with its counts. Never rejects for connection failures. */
export async function referenceProbe(opts: ReferenceOptions): Promise<ReferenceResult> {
  const host = opts.host ?? '127.0.0.1';
  assertLoopback(host);
  const protocol = opts.protocol ?? 'none';
  const maxDurationMs = opts.maxDurationMs ?? 60_000;
  const stopAfterFailures = opts.stopAfterFailures ?? 4;
  const observeMs = opts.observeMs ?? 20;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 1000;
  const replyTimeoutMs = opts.replyTimeoutMs ?? 300;
  const stopRequestsAfterUnserved = opts.stopRequestsAfterUnserved ?? 3;
  const finalWaitMs = opts.finalWaitMs ?? 1000;

  const started = Date.now();
  const tracked: Tracked[] = [];
  const outcomes: Record<AttemptOutcome, number> = { open: 0, closed: 0, reset: 0, refused: 0, timeout: 0, tls: 0, error: 0 };
  let open = 0;
  let maxOpen = 0;
  let served = 0;
  let evictions = 0;
  let evictedThisStep = 0;
  let largestBatch = 0;
  let openAtFirstEviction: number | null = null;
  let firstFailure: ReferenceResult['firstFailure'] = null;
  let consecutiveFailures = 0;
  let unservedStreak = 0;
  let sendRequests = protocol !== 'none';
  let stoppedBy: ReferenceResult['stoppedBy'] = 'bound';
  let attempts = 0;

  /** A counted connection went away: the server closed or reset it after we had seen it open. */
  const lost = (t: Tracked): void => {
    if (!t.alive) return;
    t.alive = false;
    if (!t.counted) return;
    if (openAtFirstEviction === null) openAtFirstEviction = open;
    open -= 1;
    evictions += 1;
    evictedThisStep += 1;
  };

  for (let i = 0; i < opts.maxConnections; i++) {
    if (Date.now() - started > maxDurationMs) {
      stoppedBy = 'time';
      break;
    }
    evictedThisStep = 0;
    const attempt = await oneAttempt(host, opts.port, opts.tls === true, sendRequests ? protocol : 'none', {
      connectTimeoutMs,
      replyTimeoutMs,
      observeMs,
      onTracked: (t) => tracked.push(t),
      onLost: lost,
    });
    attempts += 1;
    outcomes[attempt.result.outcome] += 1;
    largestBatch = Math.max(largestBatch, evictedThisStep);
    if (attempt.result.outcome === 'open') {
      consecutiveFailures = 0;
      attempt.tracked.counted = true;
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      if (attempt.result.served) {
        served += 1;
        unservedStreak = 0;
      } else if (sendRequests) {
        unservedStreak += 1;
        if (unservedStreak >= stopRequestsAfterUnserved) sendRequests = false;
      }
    } else {
      firstFailure ??= { ...attempt.result, index: i };
      consecutiveFailures += 1;
      if (consecutiveFailures >= stopAfterFailures) {
        stoppedBy = 'failures';
        break;
      }
    }
  }
  await sleep(finalWaitMs);
  const tcpOpen = tracked.filter((t) => t.counted && t.alive).length;
  for (const t of tracked) {
    t.alive = false;
    try {
      if (!t.raw.destroyed) t.raw.resetAndDestroy();
    } catch {
      t.raw.destroy();
    }
  }
  return {
    attempts,
    tcpOpen,
    maxOpen,
    served,
    evictions,
    largestBatch,
    openAtFirstEviction,
    outcomes,
    firstFailure,
    stoppedBy,
    durationMs: Date.now() - started,
  };
}

interface AttemptHooks {
  connectTimeoutMs: number;
  replyTimeoutMs: number;
  observeMs: number;
  onTracked(t: Tracked): void;
  onLost(t: Tracked): void;
}

/**
 * One connection: handshake, optional request and reply, observation window. The socket stays open afterwards
 * (tracked); a later close by the server calls onLost.
 */
function oneAttempt(
  host: string,
  port: number,
  useTls: boolean,
  protocol: ReferenceProtocol,
  hooks: AttemptHooks,
): Promise<{ result: ReferenceAttempt; tracked: Tracked }> {
  return new Promise((resolve) => {
    const raw = net.connect({ host, port });
    const t: Tracked = { raw, counted: false, alive: true };
    hooks.onTracked(t);
    const stream: net.Socket = useTls ? tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' }) : raw;
    let said = '';
    let phase: 'connecting' | 'replying' | 'observing' | 'done' = 'connecting';
    let servedNow = false;
    let timer: NodeJS.Timeout | undefined;
    const request = protocol === 'none' ? undefined : REQUESTS[protocol];

    const finish = (outcome: AttemptOutcome, code?: string): void => {
      if (phase === 'done') return;
      phase = 'done';
      clearTimeout(timer);
      if (outcome !== 'open') t.alive = false;
      const result: ReferenceAttempt = { outcome, served: servedNow, serverSaid: said.slice(0, 200) };
      if (code !== undefined) result.code = code;
      resolve({ result, tracked: t });
    };
    const observe = (): void => {
      phase = 'observing';
      clearTimeout(timer);
      timer = setTimeout(() => finish('open'), hooks.observeMs);
    };
    const ended = (outcome: AttemptOutcome, code?: string): void => {
      if (phase === 'done') hooks.onLost(t);
      else finish(outcome, code);
    };

    timer = setTimeout(() => {
      // Not established in time: the SYN (or the TLS hello) went unanswered. Reset so nothing lingers.
      raw.resetAndDestroy();
      finish('timeout');
    }, hooks.connectTimeoutMs);

    stream.once(useTls ? 'secureConnect' : 'connect', () => {
      if (phase !== 'connecting') return;
      if (request === undefined) return observe();
      phase = 'replying';
      clearTimeout(timer);
      stream.write(request.send);
      timer = setTimeout(observe, hooks.replyTimeoutMs);
    });
    stream.on('data', (d: Buffer) => {
      if (said.length < 200) said += d.toString('latin1');
      if (phase === 'replying' && request !== undefined && said.startsWith(request.reply)) {
        servedNow = true;
        observe();
      }
    });
    stream.on('end', () => ended('closed'));
    stream.on('close', () => ended('closed'));
    stream.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (code === 'ECONNREFUSED') ended('refused', code);
      else if (code === 'ECONNRESET' || code === 'EPIPE') ended('reset', code);
      else if (useTls && phase === 'connecting') ended('tls', code);
      else ended('error', code);
    });
    if (useTls) raw.on('error', () => undefined);
  });
}
