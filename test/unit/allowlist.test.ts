/**
 * The agent's allowlist: every rule form, IPv4 and IPv6 (mapped addresses included), ports, names resolved through
 * a table instead of DNS, and one usage error listing every bad rule.
 */
import { describe, expect, it } from 'vitest';
import {
  disallowedTargets,
  findAllowingRule,
  resolveAllowRules,
  type HostLookup,
  type ResolvedRule,
} from '../../src/fleet/allowlist.js';
import { parseAllowRule, parseAllowRules } from '../../src/config/allow-rules.js';
import { UsageError } from '../../src/errors.js';

/** Parse rules that need no resolution. */
function nets(...texts: string[]): ResolvedRule[] {
  return texts.map((t) => {
    const r = parseAllowRule(t);
    if (r.kind !== 'net') throw new Error(`${t} is a host rule`);
    return r;
  });
}

const allowed = (rules: ResolvedRule[], address: string, port: number): boolean =>
  findAllowingRule(rules, address, port) !== null;

describe('parseAllowRule', () => {
  it('reads host:port, CIDR, CIDR:port, bare addresses and bracketed IPv6', () => {
    expect(parseAllowRule('db.internal:5432')).toEqual({ kind: 'host', text: 'db.internal:5432', host: 'db.internal', port: 5432 });
    expect(parseAllowRule('10.0.0.0/8')).toMatchObject({ kind: 'net', address: '10.0.0.0', prefix: 8, family: 4, port: null });
    expect(parseAllowRule('10.0.0.0/8:443')).toMatchObject({ kind: 'net', prefix: 8, port: 443 });
    expect(parseAllowRule('127.0.0.1:8080')).toMatchObject({ kind: 'net', address: '127.0.0.1', prefix: 32, port: 8080 });
    expect(parseAllowRule('10.1.2.3')).toMatchObject({ kind: 'net', prefix: 32, port: null });
    expect(parseAllowRule('fd00::/8')).toMatchObject({ kind: 'net', address: 'fd00::', prefix: 8, family: 6, port: null });
    expect(parseAllowRule('::1')).toMatchObject({ kind: 'net', address: '::1', prefix: 128, family: 6, port: null });
    expect(parseAllowRule('[::1]:6379')).toMatchObject({ kind: 'net', address: '::1', prefix: 128, port: 6379 });
    expect(parseAllowRule('[fd00::/16]:443')).toMatchObject({ kind: 'net', prefix: 16, port: 443 });
    expect(parseAllowRule('[db6.internal]:80')).toMatchObject({ kind: 'host', host: 'db6.internal', port: 80 });
  });

  it('refuses malformed rules with the flag name', () => {
    for (const bad of ['', 'db.internal', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/x', 'host/8', '1.2.3.4:70000', 'bad_host!:80', '[::1]:0', '2001:db8::/32:443']) {
      expect(() => parseAllowRule(bad), bad).toThrow(/--allow-target/);
    }
  });

  it('lists every bad rule in one usage error', () => {
    try {
      parseAllowRules(['10.0.0.0/8', 'nope', '1.2.3.4/40']);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).problems).toHaveLength(2);
    }
  });
});

describe('findAllowingRule', () => {
  it('matches host:port exactly, and CIDR on any port unless it names one', () => {
    const rules = nets('127.0.0.1:8080', '10.0.0.0/8', '192.168.1.0/24:443');
    expect(allowed(rules, '127.0.0.1', 8080)).toBe(true);
    expect(allowed(rules, '127.0.0.1', 8081)).toBe(false);
    expect(allowed(rules, '127.0.0.2', 8080)).toBe(false);
    expect(allowed(rules, '10.255.1.2', 1)).toBe(true);
    expect(allowed(rules, '11.0.0.1', 1)).toBe(false);
    expect(allowed(rules, '192.168.1.77', 443)).toBe(true);
    expect(allowed(rules, '192.168.1.77', 80)).toBe(false);
    expect(allowed(rules, '192.168.2.1', 443)).toBe(false);
  });

  it('matches IPv6 ranges and spellings of one address', () => {
    const rules = nets('fd00::/8', '[::1]:6379', '[2001:db8::/32]:443');
    expect(allowed(rules, 'fd12:3456::1', 22)).toBe(true);
    expect(allowed(rules, 'fe80::1', 22)).toBe(false);
    expect(allowed(rules, '0:0:0:0:0:0:0:1', 6379)).toBe(true);
    expect(allowed(rules, '::1', 6380)).toBe(false);
    expect(allowed(rules, '2001:db8:1::5', 443)).toBe(true);
    expect(allowed(rules, '2001:db9::5', 443)).toBe(false);
  });

  it('treats IPv4 and IPv4-mapped IPv6 as the same address', () => {
    expect(allowed(nets('10.0.0.0/8'), '::ffff:10.1.2.3', 80)).toBe(true);
    expect(allowed(nets('::ffff:10.0.0.0/104'), '10.1.2.3', 80)).toBe(true);
    expect(allowed(nets('::ffff:10.0.0.0/104'), '11.1.2.3', 80)).toBe(false);
  });

  it('allows nothing with no rules, and nothing that is not an address', () => {
    expect(allowed([], '127.0.0.1', 80)).toBe(false);
    expect(allowed(nets('0.0.0.0/0'), 'localhost', 80)).toBe(false);
    expect(allowed(nets('0.0.0.0/0'), '203.0.113.9', 80)).toBe(true);
  });
});

describe('resolveAllowRules and disallowedTargets', () => {
  const table: Record<string, { address: string; family: number }[]> = {
    'db.internal': [
      { address: '10.0.0.5', family: 4 },
      { address: 'fd00::5', family: 6 },
    ],
  };
  const lookup: HostLookup = async (host) => {
    const found = table[host];
    if (found === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return found;
  };

  it('allows every address a host rule resolves to, on its port only', async () => {
    const { rules, unresolved } = await resolveAllowRules(parseAllowRules(['db.internal:5432']), lookup);
    expect(unresolved).toEqual([]);
    expect(rules).toHaveLength(2);
    expect(disallowedTargets(rules, [{ address: '10.0.0.5', port: 5432 }, { address: 'fd00::5', port: 5432 }])).toEqual([]);
    expect(disallowedTargets(rules, [{ address: '10.0.0.5', port: 5433 }])).toEqual([{ address: '10.0.0.5', port: 5433 }]);
    expect(disallowedTargets(rules, [{ address: '10.0.0.6', port: 5432 }])).toHaveLength(1);
  });

  it('names host rules that do not resolve, and they allow nothing', async () => {
    const { rules, unresolved } = await resolveAllowRules(parseAllowRules(['gone.internal:80', '127.0.0.0/8']), lookup);
    expect(unresolved).toEqual(['gone.internal:80']);
    expect(rules).toHaveLength(1);
    expect(disallowedTargets(rules, [{ address: '127.0.0.9', port: 80 }])).toEqual([]);
  });

  it('refuses a run when any one of its addresses is not allowed (spread over several)', async () => {
    const { rules } = await resolveAllowRules(parseAllowRules(['10.0.0.5']), lookup);
    const targets = [
      { address: '10.0.0.5', port: 80 },
      { address: '10.0.0.6', port: 80 },
    ];
    expect(disallowedTargets(rules, targets)).toEqual([{ address: '10.0.0.6', port: 80 }]);
  });
});
