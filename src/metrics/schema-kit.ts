/**
 * The building blocks every document schema is written with (TypeBox): closed objects, nullable values, and
 * typed fields that carry their description (with its unit) and, for timestamps, `format: "date-time"`. The
 * published files hold a description on every property (test/unit/schema-files.test.ts), so each field is
 * written with the words a reader of the JSON needs, here, next to its type.
 *
 * Loaded only by the schema build and tests: the CLI imports the types (`import type`), never TypeBox itself.
 */
import { Type, type TProperties, type TSchema } from 'typebox';

/**
 * Where the schema files are published: the `$id` of `schema/result.schema.json` is this base followed by
 * `result.schema.json`. One base for every file, so a reader resolves any `$id` the same way (docs/schema.md).
 */
export const SCHEMA_ID_BASE = 'https://tcpprobe.dev/schema/';

/** The absolute `$id` of one published schema file, e.g. "https://tcpprobe.dev/schema/result.schema.json". */
export function schemaId(file: string): string {
  return `${SCHEMA_ID_BASE}${file}`;
}

/** A closed object: a field the schema does not name is a drift, and the schema tests fail on it. */
export function closed<P extends TProperties>(properties: P, description: string) {
  return Type.Object(properties, { additionalProperties: false, description });
}

/** `schema` or null; the description says what null means. */
export function nullable<T extends TSchema>(schema: T, description: string) {
  return Type.Union([schema, Type.Null()], { description });
}

/**
 * The same schema with the description of the place it is used: a shared part (published once under `$defs`)
 * says what it is, the property that holds it says what it is there for.
 */
export function described<T extends TSchema>(schema: T, description: string): T {
  // Every own property, TypeBox's non-enumerable markers included, so the copy is the same kind of schema.
  const copy = Object.defineProperties({}, Object.getOwnPropertyDescriptors(schema)) as T;
  Object.defineProperty(copy, 'description', { value: description, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** A whole number at or above zero: a count (the description names what is counted). */
export function count(description: string) {
  return Type.Integer({ minimum: 0, description });
}

/** A duration or an offset in whole milliseconds at or above zero. */
export function wholeMs(description: string) {
  return Type.Integer({ minimum: 0, description });
}

/** A figure that may have a fraction (rates, percentiles, shares, offsets in ms). */
export function figure(description: string) {
  return Type.Number({ description });
}

export function text(description: string) {
  return Type.String({ description });
}

export function flag(description: string) {
  return Type.Boolean({ description });
}

/** A moment as an RFC 3339 date-time in UTC, as `Date.prototype.toISOString` writes it. */
export function timestamp(description: string) {
  return Type.String({ format: 'date-time', description });
}

/** The `tool` object of every document: which program and version wrote it. */
export const ToolSchema = closed(
  {
    name: Type.Literal('tcpprobe', { description: 'the program that wrote the document: always "tcpprobe"' }),
    version: text('the version of tcpprobe that wrote the document (semver, e.g. "0.1.0")'),
  },
  'the program that wrote this document, and its version',
);
