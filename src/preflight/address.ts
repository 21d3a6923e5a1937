/**
 * Small address helpers the preflight shares: loopback tests, IPv4 arithmetic for 127.x source addresses, and
 * compact printing of address lists. Pure.
 */
import net from 'node:net';

/** True for IPv4 127.0.0.0/8, which every Linux loopback interface answers in full. */
export function isIpv4Loopback(address: string): boolean {
  return net.isIPv4(address) && address.startsWith('127.');
}

// BlockList compares parsed addresses, so "0:0::1" and IPv4-mapped "::ffff:127.0.0.1" match as well.
const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for any loopback address: 127.0.0.0/8, ::1, or 127.x mapped into IPv6 (::ffff:127.0.0.1). */
export function isLoopback(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  return LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export { ipv4ToInt, intToIpv4 } from '../config/units.js';

/** "host:port", with IPv6 in brackets. */
export function formatEndpoint(address: string, port: number): string {
  // Every IPv6 text has a colon: an IPv4 address never runs isIPv6, whose pattern takes 3-4 ms to compile at its
  // first use (here, on a run's way to its first connect).
  return address.includes(':') && net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}
