/**
 * The pool's side of the handshake audit (handshake-audit.ts reads the kernel's view, drivers/local-driver.ts
 * runs it): which held connections there are to look at, which of them the kernel showed the server never
 * completed, and the early keepalive that makes a server that kept no state for one answer RST. Taking a
 * connection back is the pool's own transition (`takeBack`); this only finds them and marks the suspects, whose
 * RST the pool then reads as never completed.
 */
import { ConnState, type Connection } from './connection.js';
import type { Transport } from './transport.js';

/** Keepalive idle time given to a suspect of a dropped handshake (TCP_KEEPIDLE is in whole seconds). */
const SUSPECT_KEEPALIVE_MS = 1000;

export class HeldAudit {
  constructor(
    private readonly live: ReadonlySet<Connection>,
    private readonly transport: Transport<Connection>,
    private readonly takeBack: (conn: Connection) => void,
  ) {}

  /** The held connections as the kernel's view names them (Transport.auditKey), to match the two. */
  heldKeys(): string[] {
    const keys: string[] = [];
    for (const conn of this.live) {
      const key = conn.state === ConnState.Held ? this.transport.auditKey(conn) : undefined;
      if (key !== undefined) keys.push(key);
    }
    return keys;
  }

  /** Take back the held connections named in `keys`, which the server never completed. Returns how many. */
  takeBackNeverCompleted(keys: ReadonlySet<string>): number {
    let taken = 0;
    for (const conn of [...this.live]) {
      const key = conn.state === ConnState.Held ? this.transport.auditKey(conn) : undefined;
      if (conn.state !== ConnState.Held || key === undefined || !keys.has(key)) continue;
      this.takeBack(conn);
      taken++;
    }
    return taken;
  }

  /**
   * Probe every held connection that has received nothing with a TCP keepalive in about a second: kernel to
   * kernel, no byte reaches the server's application (our keepalive would send the same later). A handshake the
   * server answered with a SYN cookie and then dropped (its queues were full) left no state there: its kernel
   * answers RST, and the pool takes the connection back as never completed. One the server holds answers with an
   * ACK. Connections named in `answered` (Transport.auditKey) have had a keepalive answered already and are left
   * alone. Returns how many were probed.
   */
  probeIdleHeld(answered: ReadonlySet<string>): number {
    let probed = 0;
    for (const conn of this.live) {
      if (conn.state !== ConnState.Held || conn.firstBytes !== null || !this.transport.isOpen(conn)) continue;
      const key = this.transport.auditKey(conn);
      if (key !== undefined && answered.has(key)) continue;
      conn.auditSuspect = true;
      this.transport.setKeepAlive(conn, SUSPECT_KEEPALIVE_MS);
      probed++;
    }
    return probed;
  }
}
