/** --source addresses must belong to this machine: a pure check against os.networkInterfaces()'s shape. */
import { describe, expect, it } from 'vitest';
import { isLocalAddress, nonLocalSourceProblem, type Interfaces } from '../../src/config/local-address.js';

const IFACES: Interfaces = {
  lo: [
    { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' },
    { address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: '::1/128', scopeid: 0 },
  ],
  eth0: [
    { address: '10.0.0.5', netmask: '255.255.255.0', family: 'IPv4', mac: '02:42:ac:11:00:02', internal: false, cidr: '10.0.0.5/24' },
  ],
};

describe('isLocalAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.0.0.2', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['10.0.0.5', true],
    // The rest of eth0's /24 belongs to other hosts: only its own address is this machine's.
    ['10.0.0.6', false],
    ['10.9.9.9', false],
    ['192.168.1.1', false],
    ['::2', false],
    ['not-an-ip', false],
  ])('%s -> %s', (address, expected) => {
    expect(isLocalAddress(address, IFACES)).toBe(expected);
  });
});

describe('nonLocalSourceProblem', () => {
  it.each([
    [['127.0.0.2', '127.0.0.3'], null],
    [['10.9.9.9'], '--source: 10.9.9.9 is not an address of this machine (`ip -brief address` lists them; on loopback any of 127.0.0.0/8 works)'],
    [
      ['127.0.0.2', '10.0.0.6', '10.0.0.7', '10.0.0.8', '10.0.0.9'],
      '--source: 10.0.0.6, 10.0.0.7, 10.0.0.8 and 1 more are not addresses of this machine (`ip -brief address` lists them; on loopback any of 127.0.0.0/8 works)',
    ],
  ])('%j', (addresses, expected) => {
    expect(nonLocalSourceProblem('--source', addresses, IFACES)).toBe(expected);
  });
});
