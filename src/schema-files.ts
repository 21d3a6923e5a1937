/**
 * The published JSON Schema files: one per document tcpprobe writes, generated from the same TypeBox schemas the
 * code derives its types from. `npm run build` writes them to schema/ (scripts/write-schemas.mjs) and the package
 * ships them; a document's `schema` names its file: "tcpprobe/result" is schema/result.schema.json, importable as
 * `tcpprobe/schema/result.schema.json`. Loaded only by the schema build and tests, never by the CLI.
 */
import type { TSchema } from 'typebox';
import { AuditDocumentSchema } from './metrics/audit-document-schema.js';
import { ProbeResultSchema, RampResultSchema } from './metrics/result-schema.js';
import { ComparisonSchema } from './compare/compare-schema.js';
import { DoctorDocumentSchema } from './preflight/doctor-schema.js';

/** The folder in the package, and the module specifier prefix of `$id`. */
export const SCHEMA_DIR = 'schema';
const JSON_SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';

export interface SchemaFile {
  /** File name in schema/. */
  file: string;
  title: string;
  /** What writes the document. */
  writtenBy: string;
  schema: TSchema;
}

export const SCHEMA_FILES: readonly SchemaFile[] = [
  { file: 'result.schema.json', title: 'tcpprobe/result', writtenBy: 'ramp --json / --out, hold --json / --out', schema: ProbeResultSchema },
  { file: 'history-line.schema.json', title: 'tcpprobe/result (a history line)', writtenBy: 'ramp --save, audit: one line of the history file', schema: RampResultSchema },
  { file: 'compare.schema.json', title: 'tcpprobe/compare', writtenBy: 'compare --json', schema: ComparisonSchema },
  { file: 'doctor.schema.json', title: 'tcpprobe/doctor', writtenBy: 'doctor --json', schema: DoctorDocumentSchema },
  { file: 'audit.schema.json', title: 'tcpprobe/audit', writtenBy: 'audit --json', schema: AuditDocumentSchema },
];

/** The text of one schema file: the schema with `$schema`, `$id` and a title, as JSON with a final newline. */
export function schemaFileText(f: SchemaFile): string {
  // JSON.stringify keeps only the schema's own JSON keywords (TypeBox's markers are not enumerable).
  const body = JSON.parse(JSON.stringify(f.schema)) as Record<string, unknown>;
  const doc = { $schema: JSON_SCHEMA_DRAFT, $id: `tcpprobe/${SCHEMA_DIR}/${f.file}`, title: f.title, $comment: `written by tcpprobe ${f.writtenBy}`, ...body };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
