/**
 * The container image and the Kubernetes manifests (deploy/), run by podman on this machine: the image is built
 * by `npm run image`'s script on a debootstrapped Debian base (kept across runs), its entrypoint runs the demo,
 * and `podman kube play` of deploy/kubernetes/ (test/helpers/kube-manifests.ts says what it changes for podman
 * 4.3) starts Redis, three agent pods and the controller's Job as a pod against a target in a pod of its own.
 * The containers' open-files limit is 2,500 and each agent runs one process (--workers 1), so no agent can hold
 * the target's cap of 3,000: the fleet finds it exactly, then a second run loses an agent pod stopped mid-run and
 * ends as --on-agent-loss abort says. Traffic stays on a bridge network this test creates (podman picks a free
 * private subnet, 10.89.x.0/24 here) and inside containers.
 * Everything started here is removed here; bounded: each podman call and each run has its own timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../src/metrics/exit-codes.js';
import type { RampResult } from '../../src/metrics/result.js';
import { describeNeeding } from '../helpers/needs.js';
import { buildImage, ensureTestBase, NEEDS_PODMAN, podman, TEST_BASE_IMAGE, type Podman } from '../helpers/podman.js';
import { forPodman, manifest, podSpecOf, setFlag, type PodmanTranslation } from '../helpers/kube-manifests.js';
import { expectValidDocument } from '../helpers/schema-validator.js';

const CAP = 3000;
/** Every container's open-files limit (the test's containers.conf): one agent process holds at most ~2,440. */
const NOFILE = 2500;
const TARGET_PORT = 7000;
const AGENT_IMAGE = 'localhost/tcpprobe:0.1.0';
const REDIS_IMAGE = 'docker.io/library/redis:7.2-bookworm';

describeNeeding(NEEDS_PODMAN, 'the container image and deploy/kubernetes under podman kube play', () => {
  const run = `${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}`;
  const suffix = `-t${run}`;
  const tag = `localhost/tcpprobe-test:${run}`;
  let p: Podman;
  /** The same podman with the machine's usual open-files limit: the demo, and the target, which holds the cap. */
  let wide: Podman;
  let t: PodmanTranslation;
  const network = `tcpprobe-t${run}`;
  /** The network's subnet, e.g. "10.89.3." (every address the test targets is in it). */
  let subnetPrefix = '';
  let targetIp = '';
  let agentPods: string[] = [];
  const playedFiles: string[] = [];
  const containers: string[] = [];
  const timings: string[] = [];

  /** One container's address on the test's network. */
  const addressOf = (container: string): string => {
    const ip = p.run(['inspect', '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container]).stdout.trim();
    if (subnetPrefix === '' || !ip.startsWith(subnetPrefix)) throw new Error(`${container} is not on ${network} (address "${ip}", subnet ${subnetPrefix}0/24)`);
    return ip;
  };
  const logsOf = (container: string): { stdout: string; stderr: string } => {
    const r = p.run(['logs', container], { allowFail: true });
    return { stdout: r.stdout, stderr: r.stderr };
  };
  async function waitForLog(container: string, pattern: RegExp, timeoutMs: number): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { stdout, stderr } = logsOf(container);
      const found = pattern.exec(stdout + stderr);
      if (found !== null) return found[0];
      if (Date.now() > until) throw new Error(`${container}: no ${pattern} within ${timeoutMs} ms; log:\n${(stdout + stderr).slice(-3000)}`);
      await sleep(250);
    }
  }
  /** Play one manifest, translated; returns the names of the pods it started. */
  function play(name: string, yaml: string): string[] {
    const file = join(p.dir, `${name}.yaml`);
    writeFileSync(file, yaml);
    playedFiles.push(file);
    const out = p.run(['kube', 'play', '--network', network, file], { timeoutMs: 120_000 }).stdout;
    return [...out.matchAll(/^Pod:\n([0-9a-f]{64})$/gm)].map((m) => p.run(['pod', 'inspect', '--format', '{{.Name}}', m[1]!]).stdout.trim());
  }
  /** The controller's Job as a pod: `extra` flags appended; resolves to its exit code and log. */
  async function controllerRun(name: string, extra: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
    const job = manifest('Job', 'tcpprobe-ramp');
    job.metadata.name = `tcpprobe-ramp-${name}`;
    const args: string[] = podSpecOf(job).containers[0].args;
    setFlag(args, '--host', targetIp);
    setFlag(args, '--port', String(TARGET_PORT));
    setFlag(args, '--agent-wait', '30s');
    args.push(...extra);
    const [pod] = play(`ramp-${name}`, forPodman(job, t));
    const container = `${pod}-ramp`;
    const waited = await p.runAsync(['wait', container], timeoutMs);
    if (waited.code !== 0) throw new Error(`${container} did not end within ${timeoutMs} ms: ${waited.stderr}\n${JSON.stringify(logsOf(container))}`);
    return { code: Number(waited.stdout.trim()), ...logsOf(container) };
  }

  beforeAll(() => {
    p = podman(NOFILE);
    wide = podman(20_000);
    const base = ensureTestBase(p);
    timings.push(base.built ? `base image built (debootstrap + import) in ${base.ms} ms` : `base image ${TEST_BASE_IMAGE} kept from an earlier run`);
    timings.push(`image built (single executable + podman build) in ${buildImage(p, tag).ms} ms`);
    // --internal: no route out of it, so nothing a pod does can reach another machine.
    p.run(['network', 'create', '--internal', network]);
    const subnet = JSON.parse(p.run(['network', 'inspect', network]).stdout)[0].subnets[0].subnet as string;
    const m = /^(\d+\.\d+\.\d+\.)0\/24$/.exec(subnet);
    if (m === null) throw new Error(`${network}: unexpected subnet ${subnet}`);
    subnetPrefix = m[1]!;
    t = {
      suffix,
      images: { [AGENT_IMAGE]: tag, [REDIS_IMAGE]: TEST_BASE_IMAGE },
      // What `kubectl create secret generic tcpprobe-redis --from-literal=url=… --from-literal=password=…` holds.
      secrets: { 'tcpprobe-redis': { url: 'redis://tcpprobe@tcpprobe-redis:6379/0', password: `pw-${run}-${Math.random().toString(36).slice(2)}` } },
      secretDir: join(p.dir, 'secrets'),
      hostAliases: {},
    };
  }, 900_000);

  afterAll(() => {
    if (p === undefined) return;
    process.stdout.write(`kubernetes test: ${timings.join('; ')}\n`);
    for (const file of playedFiles.reverse()) p.run(['kube', 'down', file], { allowFail: true, timeoutMs: 60_000 });
    for (const c of containers) p.run(['rm', '-f', '-t', '2', c], { allowFail: true });
    p.run(['network', 'rm', '-f', network], { allowFail: true });
    p.run(['rmi', '-f', tag], { allowFail: true });
    p.dispose();
    wide.dispose();
  }, 180_000);

  it('the image runs `tcpprobe demo` as its entrypoint, as user 10001 with every capability dropped', async () => {
    const config = JSON.parse(p.run(['image', 'inspect', tag]).stdout)[0];
    expect(config.Config.User).toBe('10001:10001');
    expect(config.Config.Entrypoint).toEqual(['/usr/local/bin/tcpprobe']);
    const started = Date.now();
    // --network none: the demo's target and its connections stay on the container's own loopback.
    const demo = wide.run(['run', '--rm', '--network', 'none', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', tag, 'demo', '--json', '-q'], {
      allowFail: true,
      timeoutMs: 60_000,
    });
    expect(demo.status, demo.stderr).toBe(EXIT.ok);
    const doc = JSON.parse(demo.stdout) as RampResult;
    expect(doc.maxConcurrency).toBe(1000);
    expect(doc.verdict.kind).toBe('limit-by-failure');
    // The native core, loaded from the file beside the executable, and nothing said about a fallback.
    expect(doc.engine).toEqual({ name: 'native', why: null });
    expect(demo.stderr).toBe('');
    expectValidDocument('result.schema.json', doc);
    timings.push(`demo in a container in ${Date.now() - started} ms`, `image size ${config.Size} B (base ${JSON.parse(p.run(['image', 'inspect', TEST_BASE_IMAGE]).stdout)[0].Size} B)`);
  }, 90_000);

  it(`three agent pods find the exact cap (${CAP}) of a target in a pod, which no single agent can hold`, async () => {
    const started = Date.now();
    // The target: the built-in server in a container of its own, with room for its cap.
    const target = `tcpprobe-target${suffix}`;
    containers.push(target);
    wide.run(['run', '-d', '--name', target, '--network', network, '--cap-drop', 'ALL', tag, 'serve', '--host', '0.0.0.0', '--port', String(TARGET_PORT), '--max-conns', String(CAP), '-q']);
    targetIp = addressOf(target);

    const [redisPod] = play('redis', forPodman(manifest('Deployment', 'tcpprobe-redis'), t));
    await waitForLog(`${redisPod}-redis`, /Ready to accept connections/, 30_000);
    t.hostAliases = { 'tcpprobe-redis': addressOf(`${redisPod}-redis`) };

    const agents = manifest('Deployment', 'tcpprobe-agent');
    const agentArgs: string[] = podSpecOf(agents).containers[0].args;
    setFlag(agentArgs, '--allow-target', `${targetIp}:${TARGET_PORT}`);
    agentArgs.push('--workers', '1');
    agentPods = play('agents', forPodman(agents, t));
    expect(agentPods).toHaveLength(3);
    await Promise.all(agentPods.map((pod) => waitForLog(`${pod}-agent`, /registered at redis:\/\/tcpprobe:\*\*\*@tcpprobe-redis:6379\/0/, 30_000)));
    timings.push(`Redis and 3 agent pods up in ${Date.now() - started} ms`);

    const ran = Date.now();
    const r = await controllerRun('cap', ['--rate', '1000', '--hold', '1s', '--max-duration', '60s'], 120_000);
    timings.push(`cap run in ${Date.now() - ran} ms`);
    expect(r.code, r.stderr + r.stdout.slice(-2000)).toBe(EXIT.ok);
    // The Job's log is the result document: nothing but it on stdout, nothing on stderr.
    const doc = JSON.parse(r.stdout) as RampResult;
    expect(r.stderr).toBe('');
    expectValidDocument('result.schema.json', doc);
    expect(doc.maxConcurrency).toBe(CAP);
    expect(doc.verdict.kind).toBe('limit-by-failure');
    const parts = doc.participants ?? [];
    expect(parts.map((x) => x.name).sort()).toEqual([...agentPods].sort());
    expect(parts.map((x) => x.engine)).toEqual(['native', 'native', 'native']);
    expect(parts.reduce((sum, x) => sum + x.counters.everHeld, 0)).toBe(CAP);
    // Each agent held a share the others could not have held for it: its own preflight says so.
    for (const pod of agentPods) {
      const log = logsOf(`${pod}-agent`).stdout + logsOf(`${pod}-agent`).stderr;
      const most = /this machine can hold at most ([\d,]+) connections .*\(limited by: open files\)/.exec(log);
      expect(most, log).not.toBeNull();
      expect(Number(most![1]!.replaceAll(',', ''))).toBeLessThan(CAP);
      expect(log).toMatch(/done: held at most [\d,]+ here/);
    }
  }, 240_000);

  it('an agent pod stopped mid-run ends the run as --on-agent-loss abort says: exit 8, the agent named, a partial result', async () => {
    expect(agentPods, 'the cap run started the agents').toHaveLength(3);
    const victim = agentPods[1]!;
    // A slow ramp, so that the run is still going when the pod stops.
    const controller = controllerRun('loss', ['--rate', '150', '--max-duration', '60s'], 120_000);
    // Its second run (the cap run was the first) has begun on the victim, and ramps for a while.
    await waitForLog(`${victim}-agent`, /(run \S+: \S+, up to[\s\S]*){2}/, 30_000);
    await sleep(2000);
    const stopped = Date.now();
    p.run(['pod', 'stop', '-t', '10', victim], { timeoutMs: 30_000 });
    const r = await controller;
    timings.push(`agent pod stopped; the run ended ${Date.now() - stopped} ms later`);
    expect(r.code, r.stderr).toBe(EXIT.fleet);
    expect(r.stderr).toMatch(new RegExp(`fleet: agent ${victim} was lost at [\\d.]+s \\(agent stopping\\); the run was stopped \\(--on-agent-loss abort\\)`));
    const doc = JSON.parse(r.stdout) as RampResult;
    const lost = (doc.participants ?? []).find((x) => x.name === victim);
    expect(lost?.lostAtMs, JSON.stringify(doc.participants)).toBeTypeOf('number');
    // The agent says what happened on its side; it was stopped before it held its share of the cap.
    expect(logsOf(`${victim}-agent`).stdout + logsOf(`${victim}-agent`).stderr).toMatch(/agent stopping: closing every connection/);
    expect(lost?.maxHeld).toBeLessThan(CAP / 3);
  }, 180_000);
});
