/**
 * The Kubernetes manifests in deploy/kubernetes/, read as the API server would get them, and the same documents
 * turned into what `podman kube play` (4.3, Debian 12) can run: the kube-play test plays these, never a copy.
 *
 * What the translation changes, each because podman 4.3 cannot do what a cluster does, or because the test is one
 * machine instead of a cluster:
 * - Secrets: podman 4.3 crashes on a `secret` volume of a played Secret and reads `secretKeyRef` only from JSON
 *   secrets, so the test does what the kubelet does: each Secret volume becomes a folder holding the keys as files
 *   (a hostPath), each `secretKeyRef` the key's value.
 * - Services: podman has no cluster DNS, so the Service name `tcpprobe-redis` becomes a host alias of the Redis
 *   pod's address in every pod.
 * - A Job is played as its pod template (podman has no Job kind), `restartPolicy: Never` kept.
 * - Images, names (a suffix per test run, so that runs on one machine never meet) and the flags an operator edits
 *   (--allow-target, --host, --port) are the test's.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

export const MANIFEST_DIR = resolve(fileURLToPath(new URL('../../deploy/kubernetes', import.meta.url)));

/**
 * Free-form manifest data: test/unit/kubernetes-manifests.test.ts checks its shape against the API's schemas, so
 * the tests read it without restating the Kubernetes types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type Manifest = any;

/** One Kubernetes object as plain data. */
export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; [k: string]: unknown }; spec?: Manifest; [k: string]: unknown };

/** Every document of every file in deploy/kubernetes/, with the file it came from. */
export function loadManifests(dir: string = MANIFEST_DIR): { file: string; object: KubeObject }[] {
  const out: { file: string; object: KubeObject }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const object = doc.toJS() as KubeObject | null;
      if (object !== null) out.push({ file, object });
    }
  }
  return out;
}

/** The one object of this kind and name; throws naming what there is. */
export function manifest(kind: string, name: string, dir?: string): KubeObject {
  const all = loadManifests(dir);
  const found = all.find((m) => m.object.kind === kind && m.object.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} in deploy/kubernetes (there are: ${all.map((m) => `${m.object.kind} ${m.object.metadata.name}`).join(', ')})`);
  return structuredClone(found.object);
}

/** The pod spec a workload runs (Deployment or Job: its template; Pod: its own). */
export function podSpecOf(o: KubeObject): Manifest {
  return o.kind === 'Pod' ? o.spec : o.spec.template.spec;
}

/** Replace the value after `flag` in a container's args (the flag must be there, once). */
export function setFlag(args: string[], flag: string, value: string): void {
  const at = args.indexOf(flag);
  if (at < 0 || args.indexOf(flag, at + 1) >= 0) throw new Error(`${flag} is not in the args exactly once: ${args.join(' ')}`);
  args[at + 1] = value;
}

export interface PodmanTranslation {
  /** Appended to every object's name. */
  suffix: string;
  /** Image name in the manifests -> the image to run. */
  images: Record<string, string>;
  /** The Secrets' keys and values (what `kubectl create secret generic` would have been given). */
  secrets: Record<string, Record<string, string>>;
  /** Where the Secret folders are written. */
  secretDir: string;
  /** Host name -> address, added to every pod (the Services). */
  hostAliases: Record<string, string>;
}

/**
 * A workload as podman 4.3 plays it (see the header): Deployments stay Deployments, a Job becomes a Pod. Returns
 * the YAML text. Services are not played (no cluster network); pass their names in `hostAliases`.
 */
export function forPodman(o: KubeObject, t: PodmanTranslation): string {
  const obj = structuredClone(o);
  if (obj.kind === 'Job') {
    const template = obj.spec.template;
    obj.apiVersion = 'v1';
    obj.kind = 'Pod';
    obj.metadata = { ...obj.metadata, labels: template.metadata?.labels };
    obj.spec = template.spec;
  }
  obj.metadata.name = `${obj.metadata.name}${t.suffix}`;
  const spec = podSpecOf(obj);
  if (Object.keys(t.hostAliases).length > 0) {
    spec.hostAliases = Object.entries(t.hostAliases).map(([hostname, ip]) => ({ ip, hostnames: [hostname] }));
  }
  for (const v of spec.volumes ?? []) {
    if (v.secret === undefined) continue;
    const data = t.secrets[v.secret.secretName];
    if (data === undefined) throw new Error(`the test has no Secret ${v.secret.secretName}`);
    const dir = join(t.secretDir, `${v.secret.secretName}-${v.name}`);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const items: { key: string; path: string }[] = v.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }));
    for (const { key, path } of items) {
      if (data[key] === undefined) throw new Error(`the test's Secret ${v.secret.secretName} has no key ${key}`);
      writeFileSync(join(dir, path), `${data[key]}\n`);
      // Secret files are readable by the pod's user, as the kubelet's are (defaultMode 0644).
      chmodSync(join(dir, path), 0o444);
    }
    delete v.secret;
    v.hostPath = { path: dir, type: 'Directory' };
  }
  for (const c of spec.containers) {
    const image = t.images[c.image];
    if (image === undefined) throw new Error(`the test has no image for ${c.image}`);
    c.image = image;
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref === undefined) continue;
      const value = t.secrets[ref.name]?.[ref.key];
      if (value === undefined) throw new Error(`the test's Secret ${ref.name} has no key ${ref.key}`);
      delete e.valueFrom;
      e.value = value;
    }
  }
  return stringify(obj);
}
