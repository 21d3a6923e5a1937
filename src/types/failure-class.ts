/**
 * Failure classes, the vocabulary: every failed or lost connection gets exactly one (src/engine/failure-class.ts
 * classifies an error code into one). Ground floor: imports nothing.
 *
 * Server-side classes describe the target; client-side classes describe this machine and must never be reported
 * as the server's capacity (the verdict becomes "inconclusive: limited by this machine").
 */

export const SERVER_FAILURE_CLASSES = [
  'refused', // ECONNREFUSED: nothing listening, or a firewall answering RST to the SYN
  'reset', // ECONNRESET/EPIPE: the server (or a middlebox) reset an open or opening connection
  'timeout', // connect did not finish within --connect-timeout (SYNs dropped, accept queue full)
  'closed-by-peer', // the server accepted, then closed (FIN) before or while we held it
  'unserved', // the kernel completed the handshake but the application never sent the expected reply
  'rejected', // the server replied with something matching --reject (an error line)
  'dns', // the host name did not resolve
  'unreachable', // no route to the host or network
  'tls', // the TLS handshake failed
  'other', // anything we do not recognise; its errno is in the example
] as const;

export const CLIENT_FAILURE_CLASSES = [
  'fd-limit', // EMFILE/ENFILE: this process or machine ran out of file descriptors
  'ports', // EADDRNOTAVAIL/EADDRINUSE: no free ephemeral port for this source address and target
  'memory', // ENOBUFS/ENOMEM: the kernel ran out of socket buffers or memory
  'conntrack', // this machine's connection-tracking table would be full: the kernel drops packets, not the server
] as const;

export type ServerFailureClass = (typeof SERVER_FAILURE_CLASSES)[number];
export type ClientFailureClass = (typeof CLIENT_FAILURE_CLASSES)[number];
export type FailureClass = ServerFailureClass | ClientFailureClass;

export const ALL_FAILURE_CLASSES: readonly FailureClass[] = [...SERVER_FAILURE_CLASSES, ...CLIENT_FAILURE_CLASSES];

const CLIENT_SET: ReadonlySet<string> = new Set(CLIENT_FAILURE_CLASSES);

export function isClientSide(cls: FailureClass): cls is ClientFailureClass {
  return CLIENT_SET.has(cls);
}
