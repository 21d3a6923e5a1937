/**
 * conntrack bounds a namespace's connections only when something there makes the kernel track them. In a fresh
 * network namespace with no netfilter rules, `tcpprobe doctor` must not cap at nf_conntrack_max; once a rule that
 * matches on connection state is added in that namespace, it must. Everything stays in namespaces this test makes.
 */
import { expect } from 'vitest';
import type { DoctorDocument } from '../../src/cli/doctor-command.js';
import { runInNetns } from '../helpers/netns.js';
import { describeNeeding, itNeeding, need } from '../helpers/needs.js';
import { expectValidDocument } from '../helpers/schema-validator.js';

const CONNTRACK_MAX = '/proc/sys/net/netfilter/nf_conntrack_max';

/**
 * Doctor in one fresh namespace: as JSON before and after a rule that tracks, then as text (by then the table
 * holds the entry of the second doctor's loopback test, so the text one reads entries in use).
 */
async function doctorBeforeAndAfterRule(): Promise<[DoctorDocument, DoctorDocument, string]> {
  const run = await runInNetns(String.raw`
    tcpprobe doctor --host 127.0.0.1 --port 9 --json
    echo '---'
    iptables -A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT
    tcpprobe doctor --host 127.0.0.1 --port 9 --json
    echo '---'
    tcpprobe doctor --host 127.0.0.1 --port 9
  `);
  expect(run.code, run.stderr.slice(-2000)).toBe(0);
  const [before, after, text] = run.stdout.split('\n---\n');
  return [JSON.parse(before ?? '') as DoctorDocument, JSON.parse(after ?? '') as DoctorDocument, text ?? ''];
}

describeNeeding([need.root, need.netns, need.command('iptables'), need.file(CONNTRACK_MAX, 'the nf_conntrack kernel module')], 'conntrack in a fresh network namespace', () => {
  itNeeding([], 'is no cap without rules, and the cap once a rule tracks', { timeout: 60_000 }, async () => {
    const [before, after, text] = await doctorBeforeAndAfterRule();
    for (const doc of [before, after]) expectValidDocument('doctor.schema.json', doc);
    const max = before.limits.conntrackMax;
    expect(max).toBeGreaterThan(0);

    // No rules: a loopback connection got no entry, so the table is not a cap; a default ramp reaches past it.
    expect(before.limits.conntrackCount).toBe(0);
    expect(before.limits.conntrackTracksHere).toBe(false);
    const untracked = before.assessment.findings.find((f) => f.id === 'conntrack');
    expect(untracked).toMatchObject({ reach: null, severity: 'ok' });
    expect(untracked?.value).toMatch(/not a cap: this namespace tracks nothing/);
    expect(before.assessment.limitedBy).not.toBe('conntrack');
    expect(before.assessment.maxConnections).toBeGreaterThan(max ?? 0);
    // The next cap after the binding one, and where.
    expect(before.assessment.next).toMatchObject({ connections: expect.any(Number) as number, basis: expect.any(String) as string });
    expect(before.assessment.next?.connections).toBeGreaterThanOrEqual(before.assessment.maxConnections ?? 0);

    // A rule that matches on connection state: the same loopback connection now got an entry, and the table binds.
    expect(after.limits.conntrackTracksHere).toBe(true);
    expect(after.assessment.limitedBy).toBe('conntrack');
    expect(after.assessment.maxConnections).toBe(max);
    expect(after.assessment.findings.find((f) => f.id === 'conntrack')?.value).toMatch(/a loopback connection made here got an entry/);
    expect(after.assessment.next?.limitedBy).not.toBe('conntrack');
    expect(text).toMatch(/\(limited by: conntrack\)/);
    expect(text).toMatch(/if that is lifted, next: \S/);
  });

  itNeeding([], 'keeps the cap, and says why, when the loopback test cannot complete', { timeout: 60_000 }, async () => {
    // Loopback SYNs dropped by a rule that does not use conntrack: the test connection never completes.
    const run = await runInNetns(String.raw`
      iptables -A INPUT -i lo -p tcp --syn -j DROP
      tcpprobe doctor --host 127.0.0.1 --port 9 --json
    `);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const doc = JSON.parse(run.stdout) as DoctorDocument;
    expect(doc.limits.conntrackTracksHere).toBeNull();
    expect(doc.assessment.limitedBy).toBe('conntrack');
    expect(doc.assessment.maxConnections).toBe(doc.limits.conntrackMax);
    expect(doc.assessment.findings.find((f) => f.id === 'conntrack')?.value).toMatch(/counted as a cap: whether this namespace tracks could not be tested/);
  });
});
