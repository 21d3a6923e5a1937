/**
 * Whether the connection-tracking table bounds this network namespace's connections. Pure: the evidence comes
 * in as data (system-limits.ts reads it), so tests feed literal tables.
 *
 * Loading nf_conntrack does not make a namespace track anything: since Linux 4.10 conntrack registers its hooks
 * in a namespace only when something there needs them (an iptables or nftables rule that matches on state or
 * does NAT, a ct expression, OVS or IPVS). A fresh namespace with no rules tracks nothing, and
 * nf_conntrack_max (one table size for the whole machine) does not bound it. Which tool wrote a rule cannot
 * always be read without extra packages (nftables needs `nft`, and iptables here is the nft variant, invisible
 * in /proc/net/ip_tables_names), so the kernel is asked directly: nf_conntrack_count is kept per namespace, and
 * one loopback connection made in the namespace either gets an entry or does not. When neither tells, the table
 * stays a cap.
 */

/** What the preflight knows about tracking in this namespace. */
export interface ConntrackEvidence {
  /** nf_conntrack_max (machine-wide); null: conntrack not loaded, or not readable. */
  conntrackMax: number | null;
  /** nf_conntrack_count of this namespace; null: not readable. */
  conntrackCount: number | null;
  /**
   * Whether one loopback connection made in this namespace got a conntrack entry (the count went above 0); null
   * or absent: not tested (the count was already above 0, or conntrack is not loaded) or the test could not run.
   */
  conntrackTracksHere?: boolean | null;
}

/** yes: every connection takes an entry; no: the table does not bound this namespace; unknown: counted as a cap. */
export type ConntrackApplies = 'yes' | 'no' | 'unknown';

export interface ConntrackScope {
  applies: ConntrackApplies;
  /** Why, in a few words, for the preflight's conntrack line. */
  why: string;
}

/**
 * Decide from the evidence whether the table bounds this namespace. Only a conntrack that is loaded is asked
 * about here (capacity.ts says "not loaded" itself).
 */
export function conntrackScope(e: ConntrackEvidence): ConntrackScope {
  if (e.conntrackMax === null) return { applies: 'no', why: 'conntrack is not loaded' };
  if (e.conntrackCount !== null && e.conntrackCount > 0) {
    return { applies: 'yes', why: 'this namespace tracks connections (entries in use)' };
  }
  if (e.conntrackTracksHere === true) {
    return { applies: 'yes', why: 'this namespace tracks connections (a loopback connection made here got an entry)' };
  }
  if (e.conntrackTracksHere === false) {
    return { applies: 'no', why: 'this namespace tracks nothing (a loopback connection made here got no entry)' };
  }
  if (e.conntrackCount === null) return { applies: 'unknown', why: 'entries in use not readable' };
  return { applies: 'unknown', why: 'whether this namespace tracks could not be tested' };
}
