/**
 * --redis URLs: checked for shape once, with the flags, and shown without their password in every message.
 * Pure. The client library reads the URL itself (user, password, db, TLS for rediss://).
 */
import { UsageError } from '../errors.js';

export interface RedisLocation {
  /** The URL as given, credentials included: only ever handed to the client. */
  url: string;
  /** The URL with the password replaced by "***", for messages. */
  display: string;
  /** host:port, for connection error messages. */
  endpoint: string;
  tls: boolean;
}

/** Parse redis://[user[:password]@]host[:port][/db] or rediss://... (TLS). */
export function parseRedisUrl(flag: string, text: string): RedisLocation {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`${flag}: "${text}" is not a URL (example: redis://:PASSWORD@10.0.0.5:6379/0)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UsageError(`${flag}: "${redact(u)}" must start with redis:// or rediss:// (TLS)`);
  }
  if (u.hostname === '') throw new UsageError(`${flag}: "${redact(u)}" has no host`);
  if (!/^(\/\d{0,5})?$/.test(u.pathname)) {
    throw new UsageError(`${flag}: "${redact(u)}": the path must be a database number (/0)`);
  }
  const port = u.port === '' ? 6379 : Number(u.port);
  return { url: text, display: redact(u), endpoint: `${u.hostname}:${port}`, tls: u.protocol === 'rediss:' };
}

/** True when the URL carries a password. */
export function hasPassword(loc: RedisLocation): boolean {
  return new URL(loc.url).password !== '';
}

/**
 * The same location with this password (from --redis-password-file), so it never has to be on the command line.
 * The password is percent-encoded into the URL; the client decodes it.
 */
export function withPassword(loc: RedisLocation, password: string): RedisLocation {
  const u = new URL(loc.url);
  u.password = encodeURIComponent(password);
  return { ...loc, url: u.href, display: redact(u) };
}

function redact(u: URL): string {
  if (u.password === '') return u.href;
  const copy = new URL(u.href);
  copy.password = '***';
  return copy.href;
}
