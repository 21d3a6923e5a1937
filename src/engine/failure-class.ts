/**
 * Failure classes: every failed or lost connection gets exactly one. Pure functions, no sockets.
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

const BY_ERRNO_CODE: Readonly<Record<string, FailureClass>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NONAME: 'dns',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  ENETDOWN: 'unreachable',
  EHOSTDOWN: 'unreachable',
  EMFILE: 'fd-limit',
  ENFILE: 'fd-limit',
  EADDRNOTAVAIL: 'ports',
  EADDRINUSE: 'ports',
  ENOBUFS: 'memory',
  ENOMEM: 'memory',
};

/** Map a Node error code (errno name or OpenSSL/Node TLS code) to a failure class. */
export function classifyErrorCode(code: string | undefined): FailureClass {
  if (code === undefined) return 'other';
  const known = BY_ERRNO_CODE[code];
  if (known !== undefined) return known;
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return 'tls';
  }
  return 'other';
}

/** How to lift each client-side limit: printed with an inconclusive verdict. */
export const CLIENT_LIMIT_ADVICE: Readonly<Record<ClientFailureClass, string>> = {
  'fd-limit':
    'raise the open-files limit (ulimit -n, LimitNOFILE=) or spread over more processes (--workers) or machines (agents)',
  ports:
    'use more source addresses (--source 127.0.0.2-127.0.0.40 on loopback, or more local IPs), widen net.ipv4.ip_local_port_range, or add agents',
  memory: 'free memory or raise net.core/net.ipv4 socket memory limits (tcp_mem), or spread over more machines',
  conntrack:
    'raise net.netfilter.nf_conntrack_max, exempt the probe traffic (iptables -t raw -A OUTPUT -p tcp --dport PORT -j NOTRACK), or add agents',
};
