/**
 * Client-side limits with real sockets: when this machine runs out first, the verdict must say so (exit 4) and the
 * number must be a lower bound, never the server's. Also `tcpprobe doctor`, which reports those limits up front.
 */
import { describe, expect, it } from 'vitest';
import type { RampResult } from '../../src/metrics/result.js';
import { parseResult, runCli, startServe } from '../helpers/cli.js';
import { runInNetns } from '../helpers/netns.js';
import { itNeeding, need } from '../helpers/needs.js';

describe('client-side limits', () => {
  it('fd-limit: a low ulimit -n gives an inconclusive verdict and a lower bound, never the server number', async () => {
    const serve = await startServe(['--max-conns', '1000']);
    const run = await runCli(
      ['ramp', '--host', '127.0.0.1', '--port', String(serve.port), '--workers', '1', '--rate', '2000', '--max-duration', '20s', '--hold', '500ms', '--json'],
      { shellPrefix: 'ulimit -n 200;' },
    );
    expect(run.code, run.stderr.slice(-2000)).toBe(4);
    const result = parseResult<RampResult>(run);
    expect(result.verdict.kind).toBe('client-limited');
    expect(result.verdict.lowerBound).toBe(true);
    expect(result.verdict.clientLimit?.class).toBe('fd-limit');
    expect(result.verdict.clientLimit?.advice).toMatch(/ulimit -n/);
    expect(result.verdict.summary).toMatch(/limited by this machine \(fd-limit\)/);
    expect(result.failures.map((f) => f.class)).toContain('fd-limit');
    // Below the process's 200 descriptors, far below the server's 1000: a lower bound only.
    expect(result.maxConcurrency).toBeGreaterThan(0);
    expect(result.maxConcurrency).toBeLessThan(200);
    // The human summary (on stderr with --json) says so and how to lift it; the preflight warned before the run.
    expect(run.stderr).toMatch(/at least [\d,]+ connections .*INCONCLUSIVE: limited by this machine \(fd-limit\)/);
    expect(run.stderr).toMatch(/Advice: .*ulimit -n/);
    expect(run.stderr).toMatch(/limit: open files: .* planned, it allows [\d,]+/);
  });

  itNeeding([need.netns], 'ports: a tiny ip_local_port_range in a fresh network namespace gives class ports, exit 4', async () => {
    // 100 ports per source address; the server is uncapped, so only this machine's ports can stop the ramp.
    const run = await runInNetns(String.raw`
      sysctl -q -w net.ipv4.ip_local_port_range="40000 40099"
      start_bg serve tcpprobe serve --host 127.0.0.1 --port 5555 -q
      wait_listening serve
      set +e
      tcpprobe ramp --host 127.0.0.1 --port 5555 --rate 1000 --workers 1 --max-duration 20s --hold 500ms --json
    `);
    expect(run.code, run.stderr.slice(-2000)).toBe(4);
    const result = parseResult<RampResult>(run);
    expect(result.verdict.kind).toBe('client-limited');
    expect(result.verdict.lowerBound).toBe(true);
    expect(result.verdict.clientLimit?.class).toBe('ports');
    expect(result.firstFailure?.class).toBe('ports');
    expect(['EADDRNOTAVAIL', 'EADDRINUSE']).toContain(result.firstFailure?.code);
    // At most 100 ports for each source address used.
    const sources = Math.max(1, result.sourceAddresses.length);
    expect(result.maxConcurrency).toBeGreaterThan(0);
    expect(result.maxConcurrency).toBeLessThanOrEqual(100 * sources);
    expect(run.stderr).toMatch(/limit: ports: .* planned, it allows [\d,]+/);
  });
});

describe('the default bound is what this machine can hold', () => {
  itNeeding([need.netns], 'an adaptive ramp stops at the preflight figure with a client-limited verdict, before any connect fails', async () => {
    // IPv6 loopback: no 127.x source addresses to add, so 100 ports to the one destination are all there is.
    const run = await runInNetns(String.raw`
      sysctl -q -w net.ipv4.ip_local_port_range="40000 40099"
      start_bg serve tcpprobe serve --host ::1 --port 5555 -q
      wait_listening serve
      set +e
      tcpprobe ramp --host ::1 --port 5555 --hold 500ms --json
    `);
    expect(run.code, run.stderr.slice(-2000)).toBe(4);
    const result = parseResult<RampResult>(run);
    expect(result.verdict.kind).toBe('client-limited');
    expect(result.verdict.clientLimit?.class).toBe('ports');
    expect(result.maxConcurrency).toBe(100);
    // Stopped by the figure, not by running out: no connect failed.
    expect(result.firstFailure).toBeNull();
    expect(run.stderr).toMatch(/a ramp without --max stops at 100 \(client-limited\)/);
  });
});

describe('tcpprobe doctor', () => {
  it('prints the preflight with the open-files line and exits 0', async () => {
    const run = await runCli(['doctor']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\s+open files\s+\S+/m);
    expect(run.stdout).toMatch(/ports\s+/);
    expect(run.stdout).toMatch(/this machine can hold at most [\d,]+ connections|could not be read/);
  });

  it('with --host/--port: resolves the target and names the source addresses', async () => {
    const run = await runCli(['doctor', '--host', '127.0.0.1', '--port', '8080', '--connections', '30000']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('127.0.0.1:8080');
    // 30,000 connections to a loopback target: spread over 127.x source addresses.
    expect(run.stdout).toMatch(/source addresses\s+127\.0\.0\.2-127\.0\.0\.\d+ \(\d+\)/);
    expect(run.stdout).toMatch(/this machine can hold at most [\d,]+ connections to 127\.0\.0\.1:8080/);
  });

  it('doctor and a default ramp make one assessment: the same figure, the same binding limit, the same growth line', async () => {
    const serve = await startServe(['--max-conns', '50']);
    const target = ['--host', '127.0.0.1', '--port', String(serve.port)];
    const doctor = await runCli(['doctor', ...target]);
    const ramp = await runCli(['ramp', ...target, '--max-duration', '10s', '--hold', '200ms']);
    expect(doctor.code, doctor.stderr).toBe(0);
    expect(ramp.code, ramp.stderr).toBe(0);
    const figure = /this machine can hold at most ([\d,]+) connections to \S+ \(limited by: (\w[\w-]*)\)/;
    const fromDoctor = figure.exec(doctor.stdout);
    expect(fromDoctor, doctor.stdout).not.toBeNull();
    expect(figure.exec(ramp.stderr)?.slice(1)).toEqual(fromDoctor?.slice(1));
    const grows = /^ {2}grows .*$/m;
    expect(grows.exec(ramp.stderr)?.[0]).toBe(grows.exec(doctor.stdout)?.[0]);
    expect(doctor.stdout).not.toContain('30,000');
  });

  it('--json parses and holds the limits and the assessment', async () => {
    const run = await runCli(['doctor', '--host', '::1', '--port', '8080', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const doc = parseResult<{
      limits: Record<string, unknown>;
      assessment: { findings: { id: string }[]; maxConnections: number | null; limitedBy: string | null };
      target: { used: string[] } | null;
      sources: { addresses: string[]; reason: string };
    }>(run);
    expect(doc.limits).toHaveProperty('openFilesSoft');
    expect(doc.assessment.findings.map((f) => f.id)).toContain('fd-limit');
    expect(doc.target?.used).toEqual(['::1']);
    expect(typeof doc.sources.reason).toBe('string');
  });

  it('bad input: one line on stderr, exit 2', async () => {
    const run = await runCli(['doctor', '--port', 'eighty', '--connections', '-5']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/--port/);
    expect(run.stderr).toMatch(/--connections/);
  });
});
