/**
 * Validate documents against the schema files the package ships (schema/*.schema.json, written by the build),
 * with ajv (2020-12, formats checked): what a user's validator would see, not the TypeBox objects in memory.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';
import { expect } from 'vitest';

export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

// The files are JSON Schema 2020-12 and use `format` (date-time): ajv checks formats only with ajv-formats.
const ajv = new Ajv2020({ allErrors: true, strict: true });
// ajv-formats is CommonJS: its plugin is the module's `default` (what TypeScript's NodeNext and Node both see).
ajvFormats.default(ajv);
const compiled = new Map<string, ValidateFunction>();

/** The validator of one shipped schema file, e.g. "result.schema.json". */
export function schemaValidator(file: string): ValidateFunction {
  let v = compiled.get(file);
  if (v === undefined) {
    v = ajv.compile(JSON.parse(readFileSync(`${SCHEMA_DIR}${file}`, 'utf8')) as object);
    compiled.set(file, v);
  }
  return v;
}

/** The problems ajv finds, one line each ("/counters must NOT have additional properties: newCounter"). */
export function schemaProblems(file: string, doc: unknown): string[] {
  const validate = schemaValidator(file);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? `: ${String(e.params.additionalProperty)}` : ''}`);
}

/** Fail the test, naming every problem, unless `doc` validates against the shipped schema `file`. */
export function expectValidDocument(file: string, doc: unknown): void {
  expect(schemaProblems(file, doc), `${file}`).toEqual([]);
}
