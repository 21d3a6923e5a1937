/**
 * Classifying a failure: a Node error code to its class, and how to lift each client-side limit. The classes
 * themselves are vocabulary (src/types/failure-class.ts). Pure functions, no sockets.
 */
import type { ClientFailureClass, FailureClass } from '../types/failure-class.js';

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
