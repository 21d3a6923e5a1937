/**
 * Pure parsers for the Linux /proc and /proc/sys texts the preflight reads. Each returns null for text it does
 * not understand instead of throwing: an odd kernel or container must never stop a run, only leave a field unknown.
 */

/** An inclusive range of local (ephemeral) ports, as in net.ipv4.ip_local_port_range. */
export interface PortRange {
  low: number;
  high: number;
}

/** Soft and hard limit of one resource; `Infinity` stands for "unlimited". */
export interface ResourceLimit {
  soft: number;
  hard: number;
}

function parseLimitValue(text: string): number | null {
  if (text === 'unlimited') return Number.POSITIVE_INFINITY;
  return /^\d+$/.test(text) ? Number(text) : null;
}

/**
 * The "Max open files" line of /proc/self/limits (file descriptors). Columns are separated by runs of spaces,
 * and the name itself contains spaces, so the line is matched as a whole.
 */
export function parseOpenFilesLimit(limitsText: string): ResourceLimit | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limitsText);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  const soft = parseLimitValue(m[1]);
  const hard = parseLimitValue(m[2]);
  return soft === null || hard === null ? null : { soft, hard };
}

/** A sysctl holding one non-negative integer (trailing newline allowed). */
export function parseSysctlInt(text: string): number | null {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

/** Whitespace-separated non-negative integers, as in fs.file-nr ("allocated unused max"). */
export function parseSysctlInts(text: string): number[] | null {
  const parts = text.trim().split(/\s+/);
  if (parts.length === 0 || !parts.every((p) => /^\d+$/.test(p))) return null;
  return parts.map(Number);
}

/** net.ipv4.ip_local_port_range: "32768\t60999". */
export function parsePortRange(text: string): PortRange | null {
  const nums = parseSysctlInts(text);
  if (nums === null || nums.length !== 2) return null;
  const [low, high] = nums as [number, number];
  if (low < 1 || high > 65535 || high < low) return null;
  return { low, high };
}

/**
 * How many ports of `range` net.ipv4.ip_local_reserved_ports holds back from automatic assignment. The sysctl is
 * a comma-separated list of ports and ranges ("8080,9000-9010"); empty means none.
 */
export function countReservedPortsInRange(reservedText: string, range: PortRange): number | null {
  const text = reservedText.trim();
  if (text === '') return 0;
  let count = 0;
  for (const item of text.split(',')) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(item);
    if (!m || m[1] === undefined) return null;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return null;
    const lo = Math.max(from, range.low);
    const hi = Math.min(to, range.high);
    if (hi >= lo) count += hi - lo + 1;
  }
  return count;
}

/** The TIME_WAIT socket count ("tw") of the TCP line of /proc/net/sockstat, for this network namespace. */
export function parseSockstatTimeWait(sockstatText: string): number | null {
  const m = /^TCP:.*\btw (\d+)/m.exec(sockstatText);
  return m && m[1] !== undefined ? Number(m[1]) : null;
}
