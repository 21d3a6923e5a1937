import { describe, expect, it } from 'vitest';
import { planSourceAddresses } from '../../src/preflight/source-plan.js';

const LOOPBACK = { address: '127.0.0.1', family: 4 } as const;

describe('planSourceAddresses', () => {
  it('uses explicit addresses as given', () => {
    const plan = planSourceAddresses(LOOPBACK, 100_000, ['10.0.0.5', '10.0.0.6']);
    expect(plan.addresses).toEqual(['10.0.0.5', '10.0.0.6']);
    expect(plan.reason).toContain('--source');
  });

  it('leaves the choice to the kernel on loopback up to 12,000 connections', () => {
    expect(planSourceAddresses(LOOPBACK, 12_000, null).addresses).toEqual([]);
    expect(planSourceAddresses(LOOPBACK, 1, null).addresses).toEqual([]);
    expect(planSourceAddresses(LOOPBACK, 5_000, []).addresses).toEqual([]);
  });

  it('spreads larger loopback plans over one 127.x address per 6,000 connections', () => {
    expect(planSourceAddresses(LOOPBACK, 12_001, null).addresses).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    const plan = planSourceAddresses(LOOPBACK, 50_000, null);
    expect(plan.addresses).toEqual([
      '127.0.0.2',
      '127.0.0.3',
      '127.0.0.4',
      '127.0.0.5',
      '127.0.0.6',
      '127.0.0.7',
      '127.0.0.8',
      '127.0.0.9',
      '127.0.0.10',
    ]);
    expect(plan.reason).toBe(
      '50,000 connections spread over 9 loopback source addresses (6,000 each keeps connect() out of its slow zone)',
    );
  });

  it('caps at 250 addresses and says so', () => {
    const plan = planSourceAddresses(LOOPBACK, 2_000_000, null);
    expect(plan.addresses).toHaveLength(250);
    expect(plan.addresses[0]).toBe('127.0.0.2');
    expect(plan.addresses[249]).toBe('127.0.0.251');
    expect(plan.reason).toContain('capped at 250, so about 8,000 per address');
  });

  it("keeps the same plan when the target's own address is among the sources, and says why", () => {
    const plan = planSourceAddresses({ address: '127.0.0.3', family: 4 }, 13_000, null);
    expect(plan.addresses).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
    expect(plan.reason).toContain("includes the target's own 127.0.0.3");
  });

  it('treats any 127.x target as loopback', () => {
    expect(planSourceAddresses({ address: '127.5.5.5', family: 4 }, 13_000, null).addresses).toHaveLength(3);
  });

  it('lets the kernel choose for IPv6 loopback and remote targets, pointing at --source', () => {
    for (const target of [
      { address: '::1', family: 6 as const },
      { address: '10.1.2.3', family: 4 as const },
      { address: '2001:db8::1', family: 6 as const },
    ]) {
      const plan = planSourceAddresses(target, 100_000, null);
      expect(plan.addresses).toEqual([]);
      expect(plan.reason).toContain('--source');
    }
  });
});
