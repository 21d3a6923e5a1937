/**
 * Whether --source addresses belong to this machine, checked before anything connects: a run from an address the
 * kernel cannot send from fails every connect with EADDRNOTAVAIL, which reads like this machine's port limit.
 */
import net from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { parseSourceAddresses } from './units.js';
import { optional, type Validator } from './validator.js';

/** os.networkInterfaces()'s shape. */
export type Interfaces = Record<string, NetworkInterfaceInfo[] | undefined>;

/**
 * True when this machine can send from `address`: one of its interfaces' addresses, or any address in the subnet
 * of a loopback interface (Linux answers all of 127.0.0.0/8 on lo). Pure: `interfaces` is os.networkInterfaces().
 */
export function isLocalAddress(address: string, interfaces: Interfaces): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const local = new net.BlockList();
  for (const info of Object.values(interfaces).flat()) {
    if (info === undefined) continue;
    const infoType = info.family === 'IPv4' ? 'ipv4' : 'ipv6';
    const prefix = Number(info.cidr?.split('/')[1]);
    if (info.internal && Number.isInteger(prefix)) local.addSubnet(info.address, prefix, infoType);
    else local.addAddress(info.address, infoType);
  }
  return local.check(address, type);
}

/** One problem naming the --source addresses this machine does not have (at most three shown); null when all are local. */
export function nonLocalSourceProblem(flag: string, addresses: readonly string[], interfaces: Interfaces): string | null {
  const foreign = addresses.filter((a) => !isLocalAddress(a, interfaces));
  if (foreign.length === 0) return null;
  const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? ` and ${foreign.length - 3} more` : '');
  const verb = foreign.length === 1 ? 'is not an address' : 'are not addresses';
  return `${flag}: ${shown} ${verb} of this machine (\`ip -brief address\` lists them; on loopback any of 127.0.0.0/8 works)`;
}

/** Read --source: the parsed list, each address checked against this machine's interfaces; null when absent. */
export function readSourceAddresses(raw: unknown, v: Validator, interfaces: Interfaces = networkInterfaces()): string[] | null {
  const sources = v.field(() => optional(raw, (s) => parseSourceAddresses('--source', s)), null);
  if (sources === null) return null;
  const problem = nonLocalSourceProblem('--source', sources, interfaces);
  if (problem !== null) v.problem(problem);
  return sources;
}
