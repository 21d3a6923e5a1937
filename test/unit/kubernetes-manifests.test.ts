/**
 * deploy/kubernetes/ against the Kubernetes API's own schemas (kubernetes-models: the OpenAPI schemas of the API
 * server, one model per kind), and against what a probe's pods must be: not root, no capabilities, the Redis
 * password only in files from the Secret, the controller's log the result document, a run never retried.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { loadManifests, manifest, podSpecOf, type KubeObject, type Manifest } from '../helpers/kube-manifests.js';

const MODELS: Record<string, new (data: Manifest) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'batch/v1 Job': Job,
  'v1 Service': Service,
};

/** The TypeScript type of each kind in kubernetes-models, for the unknown-field check below. */
const TYPES: Record<string, { module: string; type: string }> = {
  'apps/v1 Deployment': { module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'batch/v1 Job': { module: 'kubernetes-models/batch/v1/Job', type: 'IJob' },
  'v1 Service': { module: 'kubernetes-models/v1/Service', type: 'IService' },
};

/**
 * Fields the API does not know. kubernetes-models' validators accept them (the OpenAPI schemas do not close their
 * objects), while kubectl's strict field validation refuses them and a cluster would otherwise drop them silently.
 * TypeScript's excess-property check does it: each manifest becomes an object literal of its kind's type in a
 * file that exists only in memory, and the compiler's complaints are returned, one line each (the compiler names
 * the first unknown field of each object).
 */
function unknownFields(objects: readonly KubeObject[]): string[] {
  const file = fileURLToPath(new URL('./__manifests__.ts', import.meta.url));
  const source = objects
    .map((o, i) => {
      const t = TYPES[`${o.apiVersion} ${o.kind}`]!;
      return `import type { ${t.type} as T${i} } from '${t.module}';\nexport const m${i}: T${i} = ${JSON.stringify(o)};`;
    })
    .join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [] };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, source, lang) : read(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

const all = loadManifests();
const workloads = all.map((m) => m.object).filter((o) => o.kind !== 'Service');
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('deploy/kubernetes', () => {
  it('holds the Redis, the agents and the controller, and nothing else', () => {
    expect(all.map((m) => `${m.file}: ${m.object.kind} ${m.object.metadata.name}`)).toEqual([
      'agents.yaml: Deployment tcpprobe-agent',
      'ramp-job.yaml: Job tcpprobe-ramp',
      'redis.yaml: Deployment tcpprobe-redis',
      'redis.yaml: Service tcpprobe-redis',
    ]);
  });

  it.each(all.map((m) => [`${m.file}: ${m.object.kind} ${m.object.metadata.name}`, m.object] as const))(
    'the API schema accepts %s',
    (_name, object) => {
      const Model = MODELS[`${object.apiVersion} ${object.kind}`];
      expect(Model, `no model for ${object.apiVersion} ${object.kind}`).toBeDefined();
      expect(() => new Model!(object).validate()).not.toThrow();
    },
  );

  it('no manifest has a field the API does not know (as kubectl --validate=strict)', () => {
    expect(unknownFields(all.map((m) => m.object))).toEqual([]);
  });

  it('the unknown-field check is real: a misspelt field is named', () => {
    const agents = manifest('Deployment', 'tcpprobe-agent');
    podSpecOf(agents).containers[0].securityContxt = podSpecOf(agents).containers[0].securityContext;
    const job = manifest('Job', 'tcpprobe-ramp');
    podSpecOf(job).terminationGracePeriod = 15;
    const found = unknownFields([agents, job]).join('\n');
    expect(found).toMatch(/"securityContxt"' does not exist in type 'IContainer'/);
    expect(found).toMatch(/"terminationGracePeriod"' does not exist in type 'IPodSpec'/);
  }, 30_000);

  it('the schema check is real: a broken manifest is refused with the field named', () => {
    const broken = manifest('Deployment', 'tcpprobe-agent');
    broken.spec.replicas = 'three';
    podSpecOf(broken).containers[0].resources.limits.memory = 'lots';
    expect(() => new Deployment(broken as never).validate()).toThrow(/spec\/replicas must be integer/);
    expect(() => new Deployment(broken as never).validate()).toThrow(/limits\/memory must match format "quantity"/);
  });

  it.each(workloads.map((o) => [o.metadata.name, o] as const))('%s runs as a user with no capabilities and a read-only root', (_n, o: KubeObject) => {
    const spec = podSpecOf(o);
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    for (const c of spec.containers) {
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(c.resources.requests).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
    }
  });

  it('tcpprobe pods run the image npm run image tags, and read the password from the Secret as a file', () => {
    for (const name of ['tcpprobe-agent', 'tcpprobe-ramp']) {
      const o = workloads.find((w) => w.metadata.name === name)!;
      const spec = podSpecOf(o);
      const [c] = spec.containers;
      expect(c.image).toBe(`localhost/tcpprobe:${version}`);
      expect(c.args[c.args.indexOf('--redis-password-file') + 1]).toBe('/run/secrets/tcpprobe/password');
      expect(c.env).toEqual([{ name: 'TCPPROBE_REDIS', valueFrom: { secretKeyRef: { name: 'tcpprobe-redis', key: 'url' } } }]);
      const mount = c.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/run/secrets/tcpprobe');
      const volume = spec.volumes.find((v: { name: string }) => v.name === mount.name);
      expect(volume.secret).toEqual({ secretName: 'tcpprobe-redis', items: [{ key: 'password', path: 'password' }] });
      // No password on any command line (the URL in the Secret names the user only).
      expect(c.args.join(' ')).not.toMatch(/:\/\/[^@\s]*:[^@\s]*@/);
    }
  });

  it('the controller is a Job that runs once and prints only the result document; it waits for every agent', () => {
    const job = manifest('Job', 'tcpprobe-ramp');
    const agents = manifest('Deployment', 'tcpprobe-agent');
    expect(job.spec.backoffLimit).toBe(0);
    expect(podSpecOf(job).restartPolicy).toBe('Never');
    const args: string[] = podSpecOf(job).containers[0].args;
    expect(args[0]).toBe('ramp');
    expect(args).toContain('--json');
    expect(args).toContain('-q');
    expect(Number(args[args.indexOf('--agents') + 1])).toBe(agents.spec.replicas);
  });

  it('agents get the widest source port range and a memory limit that holds their connections', () => {
    const spec = podSpecOf(manifest('Deployment', 'tcpprobe-agent'));
    expect(spec.securityContext.sysctls).toEqual([{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }]);
    expect(spec.containers[0].args.slice(0, 1)).toEqual(['agent']);
    expect(spec.containers[0].args).toContain('--allow-target');
    // A CPU limit would throttle a ramp and make the agent the bottleneck.
    expect(spec.containers[0].resources.limits.cpu).toBeUndefined();
  });
});
