/**
 * Proof of service on what a connection receives (--expect, --reject): the reply gathered while the connection is
 * open and not yet held, at most MATCH_WINDOW bytes of it, and whether it shows a rejection or the expected reply.
 * ConnectionPool decides what follows (a failure, or held).
 */
import type { ServiceCheck } from '../types/pool-config.js';
import { FIRST_BYTES_KEPT, type Connection } from './connection.js';
import { compileMatcher } from './matcher.js';

/** Bytes of a reply kept while matching --expect/--reject. */
const MATCH_WINDOW = 4096;

export class ReplyCheck {
  private readonly expectMatch: ((s: string) => boolean) | null;
  private readonly rejectMatch: ((s: string) => boolean) | null;

  constructor(service: ServiceCheck | null) {
    this.expectMatch = service?.expect ? compileMatcher(service.expect) : null;
    this.rejectMatch = service?.reject ? compileMatcher(service.reject) : null;
  }

  /** The expected reply (--expect), not --settle, makes a connection held. */
  get expectsReply(): boolean {
    return this.expectMatch !== null;
  }

  /** Bytes of what the server sends that the pool wants to see: the match window, or the first bytes reported. */
  get keepBytes(): number {
    return this.expectMatch !== null || this.rejectMatch !== null ? MATCH_WINDOW : FIRST_BYTES_KEPT;
  }

  /** `chunk` arrived on `conn` while open and not held: what the reply so far shows, if anything. */
  read(conn: Connection, chunk: Buffer): 'rejected' | 'served' | null {
    if (this.expectMatch === null && this.rejectMatch === null) return null;
    if (conn.reply.length < MATCH_WINDOW) conn.reply += chunk.toString('latin1', 0, MATCH_WINDOW - conn.reply.length);
    if (this.rejectMatch?.(conn.reply)) return 'rejected';
    if (this.expectMatch?.(conn.reply)) return 'served';
    return null;
  }

  /** Whether `reply`, on a connection the server then closed, was a rejection. */
  rejects(reply: string): boolean {
    return this.rejectMatch !== null && this.rejectMatch(reply);
  }
}
