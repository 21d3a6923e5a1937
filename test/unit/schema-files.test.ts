/**
 * Every published schema file (the text `npm run build` writes, schemaFileText) says what each field is: a
 * description on every property, an absolute `$id`, `format: "date-time"` on every timestamp, every `$ref` pointing
 * at a part of its own `$defs`, and no object written out twice (a shared part is a `$def`). The checks are tried
 * on small bad schemas first, so a check that cannot fail is seen to fail.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILES, schemaFileText } from '../../src/schema-files.js';
import { SCHEMA_ID_BASE } from '../../src/metrics/schema-kit.js';

type Node = Record<string, unknown>;

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every schema object in a file with its JSON pointer, the file's root first (the values of `properties` too). */
function schemaNodes(root: Node): { path: string; node: Node }[] {
  const out: { path: string; node: Node }[] = [];
  const visit = (v: unknown, path: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${path}/${i}`));
    else if (isNode(v)) {
      out.push({ path, node: v });
      for (const [k, x] of Object.entries(v)) {
        // Values of `const` and `enum` are data, not schemas.
        if (k !== 'const' && k !== 'enum') visit(x, `${path}/${k}`);
      }
    }
  };
  visit(root, '#');
  return out;
}

/** The schema a `$ref` to this file's `$defs` points at, or the node itself. */
function resolved(root: Node, node: Node): Node {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const name = /^#\/\$defs\/(.+)$/.exec(ref)?.[1];
  const defs = root.$defs;
  const target = name !== undefined && isNode(defs) ? defs[name] : undefined;
  return isNode(target) ? target : node;
}

/** Every property without a description, as "#/.../properties/name". */
export function undescribedProperties(root: Node): string[] {
  const missing: string[] = [];
  for (const { path, node } of schemaNodes(root)) {
    if (!isNode(node.properties)) continue;
    for (const [name, prop] of Object.entries(node.properties)) {
      if (!isNode(prop) || typeof prop.description !== 'string' || prop.description.trim() === '') missing.push(`${path}/properties/${name}`);
    }
  }
  return missing;
}

/** Every `$id` that is not an absolute https URL under the published base. */
export function relativeIds(root: Node): string[] {
  return schemaNodes(root)
    .map(({ node }) => node.$id)
    .filter((id): id is unknown => id !== undefined)
    .filter((id) => typeof id !== 'string' || !id.startsWith(SCHEMA_ID_BASE))
    .map(String);
}

/** Every property named like a moment (`startedAt`, `finishedAt`, `...At`) that is a string without format date-time. */
export function timestampsWithoutFormat(root: Node): string[] {
  const wrong: string[] = [];
  for (const { path, node } of schemaNodes(root)) {
    if (!isNode(node.properties)) continue;
    for (const [name, prop] of Object.entries(node.properties)) {
      if (!/At$/.test(name) || !isNode(prop)) continue;
      const branches = Array.isArray(prop.anyOf) ? prop.anyOf.filter(isNode) : [prop];
      for (const b of branches.map((x) => resolved(root, x))) {
        if (b.type === 'string' && b.format !== 'date-time') wrong.push(`${path}/properties/${name}`);
      }
    }
  }
  return wrong;
}

/** Every `$ref` that does not point at a part of this file's `$defs`. */
export function danglingRefs(root: Node): string[] {
  return schemaNodes(root)
    .filter(({ node }) => typeof node.$ref === 'string' && resolved(root, node) === node)
    .map(({ path, node }) => `${path}: ${String(node.$ref)}`);
}

/** Objects with properties written out more than once in a file (the description aside): shared parts not in `$defs`. */
export function repeatedObjects(root: Node): string[] {
  const seen = new Map<string, string>();
  const repeated: string[] = [];
  for (const { path, node } of schemaNodes(root)) {
    if (!isNode(node.properties) || path === '#') continue;
    const { description: _d, ...shape } = node;
    const key = JSON.stringify(shape);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, path);
    else repeated.push(`${path} repeats ${first}`);
  }
  return repeated;
}

const files = SCHEMA_FILES.map((f) => ({ file: f.file, root: JSON.parse(schemaFileText(f)) as Node }));

describe('the checks fail on what they look for', () => {
  const bad: Node = {
    $id: 'tcpprobe/schema/x.schema.json',
    type: 'object',
    properties: {
      startedAt: { type: 'string', description: 'when' },
      count: { type: 'integer' },
      ref: { $ref: '#/$defs/Missing', description: 'a part' },
      a: { type: 'object', properties: { n: { type: 'integer', description: 'n' } }, description: 'one' },
      b: { type: 'object', properties: { n: { type: 'integer', description: 'n' } }, description: 'two' },
    },
  };

  it('names each problem of a bad schema', () => {
    expect(undescribedProperties(bad)).toEqual(['#/properties/count']);
    expect(relativeIds(bad)).toEqual(['tcpprobe/schema/x.schema.json']);
    expect(timestampsWithoutFormat(bad)).toEqual(['#/properties/startedAt']);
    expect(danglingRefs(bad)).toEqual(['#/properties/ref: #/$defs/Missing']);
    expect(repeatedObjects(bad)).toEqual(['#/properties/b repeats #/properties/a']);
  });

  it('follows a $ref to its $def for a timestamp, and reads nullable timestamps', () => {
    const viaRef: Node = {
      properties: {
        finishedAt: { $ref: '#/$defs/Moment', description: 'when' },
        seenAt: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'when' },
      },
      $defs: { Moment: { type: 'string', description: 'a moment' } },
    };
    expect(timestampsWithoutFormat(viaRef)).toEqual(['#/properties/finishedAt', '#/properties/seenAt']);
  });
});

describe('every published schema file', () => {
  it('has one file per document, the history listing included', () => {
    expect(files.map((f) => f.file)).toEqual([
      'result.schema.json',
      'history-line.schema.json',
      'history.schema.json',
      'compare.schema.json',
      'doctor.schema.json',
      'audit.schema.json',
    ]);
  });

  it.each(files)('$file: an absolute id under the one base', ({ file, root }) => {
    expect(root.$id).toBe(`${SCHEMA_ID_BASE}${file}`);
    expect(SCHEMA_ID_BASE).toMatch(/^https:\/\/[a-z.]+\/schema\/$/);
    expect(relativeIds(root)).toEqual([]);
  });

  it.each(files)('$file: a description on every property', ({ root }) => {
    expect(undescribedProperties(root)).toEqual([]);
  });

  it.each(files)('$file: format date-time on every timestamp', ({ root }) => {
    expect(timestampsWithoutFormat(root)).toEqual([]);
  });

  it.each(files)('$file: shared parts written once, every reference resolving', ({ root }) => {
    expect(danglingRefs(root)).toEqual([]);
    expect(repeatedObjects(root)).toEqual([]);
  });

  it.each(files)('$file: compiles in ajv (2020-12, strict, formats known)', ({ root }) => {
    const ajv = new Ajv2020({ strict: true });
    ajvFormats.default(ajv);
    expect(() => ajv.compile(root)).not.toThrow();
  });

  it('the documents with timestamps carry them as date-time (result, history, compare, audit)', () => {
    const formats = (root: Node): number => schemaNodes(root).filter(({ node }) => node.format === 'date-time').length;
    for (const f of files.filter((x) => x.file !== 'doctor.schema.json')) expect(formats(f.root), f.file).toBeGreaterThan(0);
  });
});
