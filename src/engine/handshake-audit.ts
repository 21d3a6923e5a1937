/**
 * Finding handshakes the server never completed, from this machine's side, without sending a byte.
 *
 * A server whose accept queue is full drops the final ACK of a handshake (ListenOverflows) but keeps the request
 * and retransmits its SYN-ACK at 1 s, 3 s, 7 s, ... after the first. Our socket went ESTABLISHED at the first
 * SYN-ACK, so to Node it is an open connection that the server does not have. The kernel's TCP_INFO shows the
 * difference: such a socket keeps receiving segments (the retransmitted SYN-ACKs, `segs_in`) and no data, while a
 * connection the server completed and left idle has received one segment. `ss` (iproute2) reads TCP_INFO for
 * every socket in one netlink dump; Node has no public API for it.
 *
 * A suspect (segs_in >= 2, no bytes received) is confirmed when its next retransmission arrives: a connection that
 * the server completed late stops receiving them.
 *
 * A server whose SYN queue was full answered with a SYN cookie and kept no state; if its accept queue was full when
 * our ACK came, it dropped that too and nothing is retransmitted. Such a socket is found by a TCP keepalive probe
 * (ConnectionPool.probeIdleHeld): the server's kernel has no connection for it and answers RST.
 */
import { execFile } from 'node:child_process';

/** What the kernel says about one of our sockets. */
export interface KernelSocketInfo {
  /**
   * The socket, as its reader names it (Transport.auditKey): ss by its local address and port ("127.0.0.4:40001",
   * "[::1]:40001"), unique where a port alone is not (a process binds several source addresses); the native core by
   * its fd and the id it connected under.
   */
  key: string;
  /** Segments received (TCP_INFO tcpi_segs_in). */
  segsIn: number;
  bytesReceived: number;
  /** Milliseconds since the last segment arrived. */
  lastRcvMs: number | null;
}

/** Parse `ss -tinH state established ...`: a socket line, then an indented line of TCP_INFO fields. Pure. */
export function parseSsInfo(text: string): KernelSocketInfo[] {
  const out: KernelSocketInfo[] = [];
  let key: string | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (!/^\s/.test(line)) {
      // "Recv-Q Send-Q Local:Port Peer:Port" (no State column with a state filter).
      const local = line.trim().split(/\s+/)[2];
      const port = local === undefined ? NaN : Number(local.slice(local.lastIndexOf(':') + 1));
      key = local !== undefined && Number.isInteger(port) ? local : null;
      continue;
    }
    if (key === null) continue;
    const field = (name: string): number | null => {
      const m = new RegExp(`(?:^|\\s)${name}:(\\d+)`).exec(line);
      return m === null ? null : Number(m[1]);
    };
    out.push({
      key,
      segsIn: field('segs_in') ?? 0,
      bytesReceived: field('bytes_received') ?? 0,
      lastRcvMs: field('lastrcv'),
    });
    key = null;
  }
  return out;
}

/**
 * Held sockets that look like handshakes the server never completed: more than one segment in, no data. Only
 * those younger than the keepalive idle time (`keepAliveMs`, 0: off): an older one may have had a keepalive probe
 * answered, which counts as a segment in just like a retransmitted SYN-ACK. Pure.
 */
export function handshakeSuspects(infos: readonly KernelSocketInfo[], held: ReadonlySet<string>, keepAliveMs = 0): KernelSocketInfo[] {
  return infos.filter(
    (i) => held.has(i.key) && i.segsIn >= 2 && i.bytesReceived === 0 && (keepAliveMs <= 0 || (i.lastRcvMs ?? 0) < keepAliveMs),
  );
}

/**
 * Sockets whose keepalive the server has answered: older than the keepalive idle time (`keepAliveMs`, 0: off),
 * more than one segment in. A probe of ours could tell no more. A younger one's extra segment is a resent
 * SYN-ACK, and the server may have dropped that handshake since: it still needs the probe. Pure.
 */
export function keepaliveAnswered(infos: readonly KernelSocketInfo[], keepAliveMs: number): Set<string> {
  const answered = new Set<string>();
  if (keepAliveMs <= 0) return answered;
  for (const i of infos) if (i.segsIn >= 2 && i.lastRcvMs !== null && i.lastRcvMs >= keepAliveMs) answered.add(i.key);
  return answered;
}

/** The server's first SYN-ACK retransmission comes this long after the first SYN-ACK. */
const FIRST_RETRANSMIT_MS = 1000;

/**
 * How long until every held socket that has received nothing is old enough to have shown a retransmitted SYN-ACK
 * (0: all are). A look sooner than that cannot tell a handshake the server dropped from an idle connection: a
 * fast ramp with a short --hold would otherwise miss them (measured: 271 held for a queue that takes 211). Pure.
 */
export function tooYoungToTellMs(infos: readonly KernelSocketInfo[], held: ReadonlySet<string>): number {
  let wait = 0;
  for (const i of infos) {
    if (!held.has(i.key) || i.bytesReceived > 0 || i.segsIn >= 2) continue;
    wait = Math.max(wait, FIRST_RETRANSMIT_MS + CONFIRM_MARGIN_MS - (i.lastRcvMs ?? 0));
  }
  return Math.max(0, wait);
}

/**
 * Why a keepalive idle time (ms, 0: off) leaves the audit nothing to tell, or null: a socket can be judged only
 * once it is old enough to have shown a resent SYN-ACK, and by then one this short has had a keepalive answered,
 * which looks the same. Pure.
 */
export function keepaliveHidesHandshakes(keepAliveMs: number): string | null {
  const needMs = FIRST_RETRANSMIT_MS + CONFIRM_MARGIN_MS;
  if (keepAliveMs <= 0 || keepAliveMs >= needMs) return null;
  return `--keepalive ${keepAliveMs / 1000}s is answered before a resent SYN-ACK can show (${needMs / 1000}s), and looks the same`;
}

/** Longest wait for the confirming retransmission (the one due 7 s after establishment, and some). */
const MAX_CONFIRM_WAIT_MS = 9000;
/** Margin for the retransmission to arrive and be counted. */
const CONFIRM_MARGIN_MS = 400;

/**
 * How long to wait until every suspect's next SYN-ACK retransmission is due. The server retransmits at 1, 3, 7,
 * 15 s after the first SYN-ACK (its timer doubles from 1 s), so with n = segsIn - 1 retransmissions seen the next
 * is due (2^(n+1) - 1) s after the socket was established. `lastrcv` counts from the last data received, and a
 * suspect received none, so it is the time since establishment (measured: it does not restart on a retransmitted
 * SYN-ACK). Pure.
 */
export function confirmWaitMs(suspects: readonly KernelSocketInfo[]): number {
  let wait = 0;
  for (const s of suspects) {
    const nextDueMs = 1000 * (2 ** Math.max(1, s.segsIn) - 1);
    wait = Math.max(wait, nextDueMs - (s.lastRcvMs ?? 0) + CONFIRM_MARGIN_MS);
  }
  return Math.min(MAX_CONFIRM_WAIT_MS, Math.max(0, wait));
}

/** Suspects that received another segment (still no data) since the first look: the server still retries. Pure. */
export function confirmedNeverCompleted(
  suspects: readonly KernelSocketInfo[],
  later: readonly KernelSocketInfo[],
): Set<string> {
  const now = new Map(later.map((i) => [i.key, i]));
  const confirmed = new Set<string>();
  for (const s of suspects) {
    const l = now.get(s.key);
    if (l !== undefined && l.segsIn > s.segsIn && l.bytesReceived === 0) confirmed.add(s.key);
  }
  return confirmed;
}

const SS_MAX_BUFFER_MB = 256;
const SS_TIMEOUT_MS = 15_000;

/** Why `ss` gave no answer, in words for the audit's note, from how execFile failed. Pure. */
export function ssFailure(err: { code?: unknown; killed?: boolean; signal?: unknown; message: string }): string {
  if (err.code === 'ENOENT') return 'ss (iproute2) is not installed: it reads TCP_INFO';
  if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return `ss printed more than ${SS_MAX_BUFFER_MB} MB (too many sockets to read)`;
  if (err.killed === true && err.signal === 'SIGTERM') return `ss did not answer within ${SS_TIMEOUT_MS / 1000}s (too many sockets to read)`;
  return `ss failed: ${err.message.split('\n')[0] ?? ''}`;
}

/**
 * TCP_INFO of the established sockets to `address`:`port` in this network namespace, from `sources` only when
 * given (a process of many reads its own, not all of the run's), or why `ss` could not say (the audit is then
 * reported as not run, never guessed).
 */
export async function readKernelSockets(
  address: string,
  port: number,
  sources: readonly string[] | null,
): Promise<KernelSocketInfo[] | string> {
  const bracket = (a: string): string => (a.includes(':') ? `[${a}]` : a);
  const fromSources = sources === null ? [] : ['(', ...sources.flatMap((s, i) => [...(i > 0 ? ['or'] : []), 'src', bracket(s)]), ')'];
  return new Promise((resolve) => {
    execFile(
      'ss',
      ['-tinH', 'state', 'established', 'dst', bracket(address), 'dport', '=', `:${port}`, ...fromSources],
      { maxBuffer: SS_MAX_BUFFER_MB * 1024 * 1024, timeout: SS_TIMEOUT_MS },
      (err, stdout) => resolve(err === null ? parseSsInfo(stdout) : ssFailure(err)),
    );
  });
}
