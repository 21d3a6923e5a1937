/**
 * The audit file: YAML -> AuditPlan through the ramp's own option reader, every problem named by its path.
 */
import { describe, expect, it } from 'vitest';
import { readAuditFile } from '../../src/cli/audit-file.js';
import { UsageError } from '../../src/errors.js';

function problems(text: string): readonly string[] {
  try {
    readAuditFile(text, 'audit.yaml');
  } catch (e) {
    if (e instanceof UsageError) return e.problems;
    throw e;
  }
  throw new Error('expected a UsageError');
}

const GOOD = `
defaults:
  host: 127.0.0.1
  maxDuration: 20s
  labels: { env: prod, team: db }
  maxRegression: 10%
targets:
  - name: redis
    port: 6379
    send: "PING\\r\\n"
    expect: "+PONG"
    max: 5k
    minConnections: 1000
    labels: { service: redis, team: cache }
  - name: api.tls
    host: api.internal
    port: 443
    tls: true
    insecure: true
    rate: 200
    maxRegression: 5
`;

describe('readAuditFile', () => {
  it('reads defaults and targets with the ramp flags meaning what they mean on the command line', () => {
    const plan = readAuditFile(GOOD, 'audit.yaml');
    expect(plan.baselineRuns).toBe(5);
    expect(plan.targets.map((t) => t.name)).toEqual(['redis', 'api.tls']);
    const [redis, api] = plan.targets;
    expect(redis?.options.target).toMatchObject({ host: '127.0.0.1', port: 6379 });
    expect(redis?.options.max).toBe(5000);
    expect(redis?.options.maxDurationMs).toBe(20_000);
    expect(redis?.options.adaptive).toMatchObject({ kind: 'adaptive' });
    expect(redis?.options.connection.service?.send?.toString()).toBe('PING\r\n');
    expect(redis?.options.quiet).toBe(true);
    expect(redis?.options.chart).toBe(false);
    expect(redis?.maxRegressionShare).toBeCloseTo(0.1);
    expect(redis?.minConnections).toBe(1000);
    // The target's label wins over the default's; sorted by name.
    expect(redis?.labels).toEqual([
      { name: 'env', value: 'prod' },
      { name: 'service', value: 'redis' },
      { name: 'team', value: 'cache' },
    ]);
    // An inline send may carry a secret: the report shows its length only.
    expect(redis?.settings.send).toBe('(6 bytes)');
    expect(redis?.settings.expect).toBe('+PONG');
    expect(api?.options.target).toMatchObject({ host: 'api.internal', port: 443 });
    expect(api?.options.connection.tls).toMatchObject({ insecure: expect.any(Boolean) });
    expect(api?.options.adaptive).toBeNull();
    expect(api?.maxRegressionShare).toBeCloseTo(0.05);
    expect(api?.minConnections).toBeNull();
  });

  it('names every problem of the whole file by its path, once', () => {
    const text = `
defaults:
  maxDuration: soon
  colour: blue
targets:
  - name: a
    port: 70000
  - port: 80
    max: 0
    maxRegression: 120%
  - name: a
    port: 81
    hold: 30s
    labels: { target: x, "bad-name": y }
  - just a string
`;
    expect(problems(text)).toEqual([
      'defaults.colour: not an option (a ramp flag in camelCase, or name, maxRegression, minConnections, labels)',
      'targets[0].port: 70000 is out of range (1-65535)',
      'defaults.maxDuration: "soon" is not a duration (examples: 500ms, 10s, 2m, 1m30s)',
      'targets[1].name: required',
      'targets[1].max: must be at least 1',
      'targets[1].maxRegression: 120% is more than 100%',
      'targets[2].labels.target: "target" is set by tcpprobe itself',
      'targets[2].labels.bad-name: "bad-name" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)',
      'targets[2].name: "a" is also targets[0]\'s name',
      'targets[3]: must be a mapping (name, host, port, ...)',
    ]);
  });

  it('says a missing port and a hold longer than the run in the file\'s words', () => {
    expect(problems('targets:\n  - name: x\n    maxDuration: 1s\n    hold: 2s\n')).toEqual([
      'targets[0].port: required (the TCP port of the server to probe)',
      'targets[0].hold: must be shorter than maxDuration (the hold is part of the run)',
    ]);
  });

  it('a bare number is no duration: maxDuration: 120 and keepalive: 30 are refused with the unit to add, as flags are', () => {
    expect(problems('defaults:\n  keepalive: 30\ntargets:\n  - name: x\n    port: 1\n    maxDuration: 120\n    settle: 0\n')).toEqual([
      'defaults.keepalive: 30 needs a unit: 30s or 30ms',
      'targets[0].maxDuration: 120 needs a unit: 120s or 120ms',
    ]);
    expect(problems('targets:\n  - {name: x, port: 1, keepalive: 500ms}\n')).toEqual([
      'targets[0].keepalive: TCP keepalive counts whole seconds (1s, 30s, 2m), not 500ms',
    ]);
  });

  it('refuses YAML syntax errors with line and column, unknown top-level keys and an empty target list', () => {
    expect(problems('targets: [\n')[0]).toMatch(/^audit\.yaml:\d+:\d+: Flow sequence .*end with a \]$/);
    expect(problems('a: 1\na: 2\n')[0]).toMatch(/^audit\.yaml:2:1: Map keys must be unique/);
    expect(problems('target: []\n')).toEqual([
      'target: not a top-level key (defaults, targets, baselineRuns)',
      'targets: required, a list of at least one target',
    ]);
    expect(problems('- a\n')).toEqual(['audit.yaml: must be a mapping with "targets" (and "defaults")']);
  });

  it('confirms the found edge by default (the confirmation stage); confirm: false in a target or defaults turns it off', () => {
    const table: [string, boolean][] = [
      ['targets:\n  - {name: x, port: 1}\n', true],
      ['targets:\n  - {name: x, port: 1, confirm: false}\n', false],
      ['defaults: {confirm: false}\ntargets:\n  - {name: x, port: 1}\n', false],
      ['defaults: {confirm: false}\ntargets:\n  - {name: x, port: 1, confirm: true}\n', true],
    ];
    for (const [text, confirm] of table) expect(readAuditFile(text, 'f').targets[0]?.options.confirm, text).toBe(confirm);
  });

  it('takes baselineRuns and refuses a name in defaults', () => {
    expect(readAuditFile('baselineRuns: 3\ntargets:\n  - {name: x, port: 1}\n', 'f').baselineRuns).toBe(3);
    expect(problems('defaults: {name: x}\ntargets:\n  - {name: y, port: 1}\n')).toEqual(['defaults.name: each target has its own name']);
  });
});
