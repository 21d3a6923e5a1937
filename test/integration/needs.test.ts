/**
 * The rule every test lives by (test/helpers/needs.ts, test/helpers/skip-reporter.ts): a missing need is a visible
 * skip that names its package, a failure under CI=true, and a skip that no need explains fails the run. Real vitest
 * runs of two small check files (test/fixtures/needs/).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collect, type CliRun } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

/** `vitest run FILE` with the check files' config, or with the project's own (its default-engine project). */
function vitest(file: string, env: NodeJS.ProcessEnv, projectConfig = false): Promise<CliRun> {
  const config = projectConfig ? ['--config', 'vitest.config.ts', '--project', 'default-engine'] : ['--config', 'test/fixtures/needs/vitest.config.ts'];
  const child = spawn(process.execPath, [VITEST, 'run', ...config, file], {
    cwd: ROOT,
    env: { ...process.env, CI: '', TCPPROBE_SKIP_LOG: '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return collect(child, 60_000);
}

describe('declared needs and the skip reporter', () => {
  it('a missing need is a skip that names its package, counted in the closing lines; the run passes', async () => {
    const run = await vitest('test/fixtures/needs/declared.check.ts', {});
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toContain('SKIPPED "a group that needs a missing tool": needs tcpprobe-no-such-tool (apt-get install -y tcpprobe-no-such-package)');
    expect(run.stdout).toContain('  1 test needs tcpprobe-no-such-tool (apt-get install -y tcpprobe-no-such-package)');
    expect(run.stdout).toMatch(/^tests: 1 passed, 0 failed, 1 skipped$/m);
  });

  it('under CI=true the same missing need is a failing test that says what is missing', async () => {
    const run = await vitest('test/fixtures/needs/declared.check.ts', { CI: 'true' });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain('"a group that needs a missing tool" needs tcpprobe-no-such-tool (apt-get install -y tcpprobe-no-such-package): under CI=true every need must be met');
    expect(run.stdout).toMatch(/^tests: 1 passed, 1 failed, 0 skipped$/m);
  });

  it('a skip that no declared need explains fails the run and is named', async () => {
    const run = await vitest('test/fixtures/needs/undeclared.check.ts', {});
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('1 skipped without a declared need (test/helpers/needs.ts):');
    expect(run.stdout).toContain('test/fixtures/needs/undeclared.check.ts: skipped for no stated reason');
  });

  it('under CI=true a native core that does not load stops the run; elsewhere the tests fall back to the JS engine', async () => {
    const missing = { TCPPROBE_NATIVE_ADDON: '/nonexistent/tcpcore.node' };
    const ci = await vitest('test/unit/units.test.ts', { ...missing, CI: 'true' }, true);
    expect(ci.code).not.toBe(0);
    expect(ci.stdout + ci.stderr).toContain('CI=true: the native core did not build or load');
    const local = await vitest('test/unit/units.test.ts', missing, true);
    expect(local.code, local.stdout + local.stderr).toBe(0);
    expect(local.stdout).toMatch(/^tests: \d+ passed, 0 failed, 0 skipped$/m);
  });
});
