/**
 * One clear line for each way a Redis connection fails, instead of the client's stack traces: a wrong password,
 * a missing one, an ACL that forbids a command, nothing listening, no answer, a TLS problem. Pure: works on the
 * error's message and code, so it is tested without a server.
 */
import { ProbeError } from '../errors.js';

/** The first line of a server reply error, without the client's "ReplyError:" decoration. */
function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').trim();
}

/**
 * Describe a connection or command failure as a ProbeError('redis'); main prints "tcpprobe: <message>" and exits
 * with EXIT.fleet.
 * @param endpoint host:port, for the messages
 */
export function describeRedisError(e: unknown, endpoint: string, connectTimeoutMs: number): ProbeError {
  if (e instanceof ProbeError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const line = firstLine(err.message);
  if (/^WRONGPASS/.test(line)) return new ProbeError('redis', `redis: authentication failed (${line})`);
  if (/^NOAUTH/.test(line)) {
    return new ProbeError('redis', `redis: authentication required (NOAUTH): give the password in the URL, redis://:PASSWORD@${endpoint}`);
  }
  if (/^NOPERM/.test(line)) {
    return new ProbeError('redis', `redis: the user may not do this (${line}); see docs/fleet.md for the ACL tcpprobe needs`);
  }
  if (code === 'ECONNREFUSED') return new ProbeError('redis', `redis: cannot connect to ${endpoint} (ECONNREFUSED: nothing listens there)`);
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(line)) {
    return new ProbeError('redis', `redis: no answer from ${endpoint} within ${connectTimeoutMs / 1000}s`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new ProbeError('redis', `redis: cannot resolve the host of ${endpoint} (${code})`);
  if (code !== '' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(code)) {
    return new ProbeError('redis', `redis: TLS to ${endpoint} failed (${code}: ${line}); trust the server's CA with NODE_EXTRA_CA_CERTS=FILE`);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new ProbeError('redis', `redis: ${endpoint} closed the connection (${code}); if it expects TLS, use rediss://`);
  }
  if (/Unknown RESP type|Protocol error/i.test(line)) return new ProbeError('redis', `redis: ${endpoint} does not speak the Redis protocol`);
  if (code !== '') return new ProbeError('redis', `redis: ${endpoint}: ${code} (${line})`);
  return new ProbeError('redis', `redis: ${endpoint}: ${line}`);
}
