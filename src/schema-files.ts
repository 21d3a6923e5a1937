/**
 * The published JSON Schema files: one per document tcpprobe writes, generated from the same TypeBox schemas the
 * code derives its types from. `npm run build` writes them to schema/ (scripts/write-schemas.mjs) and the package
 * ships them; a document's `schema` names its file: "tcpprobe/result" is schema/result.schema.json, importable as
 * `tcpprobe/schema/result.schema.json`, with the absolute `$id` https://tcpprobe.dev/schema/result.schema.json.
 *
 * Shared parts (a failure record, the counters, a verdict kind...) are written once per file, under `$defs`, and
 * referred to with `$ref` wherever they are used, with the description of that place beside the `$ref` (JSON
 * Schema 2020-12). Loaded only by the schema build and tests, never by the CLI.
 */
import type { TSchema } from 'typebox';
import { AuditDocumentSchema, AuditTargetReportSchema } from './metrics/audit-document-schema.js';
import * as F from './metrics/failure-schema.js';
import * as G from './metrics/gate-schema.js';
import * as M from './metrics/measurement-schema.js';
import * as RF from './metrics/ramp-findings-schema.js';
import * as R from './metrics/result-schema.js';
import * as V from './metrics/verdict-schema.js';
import * as S from './metrics/settings-schema.js';
import { schemaId, ToolSchema } from './metrics/schema-kit.js';
import * as C from './compare/compare-schema.js';
import * as D from './preflight/doctor-schema.js';
import * as H from './history/history-schema.js';

/** The folder in the package. */
export const SCHEMA_DIR = 'schema';
/** The dialect of the published files: 2020-12, where `$defs` is a keyword and a `$ref` may carry a description. */
export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

export interface SchemaFile {
  /** File name in schema/. */
  file: string;
  title: string;
  /** What writes the document. */
  writtenBy: string;
  schema: TSchema;
}

export const SCHEMA_FILES: readonly SchemaFile[] = [
  { file: 'result.schema.json', title: 'tcpprobe/result', writtenBy: 'ramp --json / --out, hold --json / --out', schema: R.ProbeResultSchema },
  { file: 'history-line.schema.json', title: 'tcpprobe/result (a history line)', writtenBy: 'ramp --save, audit: one line of the history file', schema: R.RampResultSchema },
  { file: 'history.schema.json', title: 'tcpprobe/history', writtenBy: 'history --json', schema: H.HistoryDocumentSchema },
  { file: 'compare.schema.json', title: 'tcpprobe/compare', writtenBy: 'compare --json', schema: C.ComparisonSchema },
  { file: 'doctor.schema.json', title: 'tcpprobe/doctor', writtenBy: 'doctor --json', schema: D.DoctorDocumentSchema },
  { file: 'audit.schema.json', title: 'tcpprobe/audit', writtenBy: 'audit --json', schema: AuditDocumentSchema },
];

/**
 * The shared parts, by the name they have under `$defs`. A place whose schema is one of these (its description
 * aside) is published as a `$ref`; test/unit/schema-files.test.ts fails on an object written out twice in a file,
 * so a part shared by a new field is named here.
 */
export const SHARED_PARTS: Readonly<Record<string, TSchema>> = {
  Tool: ToolSchema,
  FailureClass: F.FailureClassSchema,
  RampVerdictKind: V.RampVerdictKindSchema,
  HoldVerdictKind: V.HoldVerdictKindSchema,
  ClientLimit: V.ClientLimitSchema,
  RampVerdict: V.RampVerdictSchema,
  HoldVerdict: V.HoldVerdictSchema,
  TimelineSample: M.TimelineSampleSchema,
  PhaseSpan: M.PhaseSpanSchema,
  FailureRecord: F.FailureRecordSchema,
  FailureSummary: F.FailureSummarySchema,
  ResultCounters: M.ResultCountersSchema,
  LatencySummary: M.LatencySummarySchema,
  TargetInfo: R.TargetInfoSchema,
  Histograms: M.HistogramsSchema,
  RateFinding: RF.RateFindingSchema,
  NewConnectionLimit: RF.NewConnectionLimitSchema,
  ParticipantSummary: M.ParticipantSummarySchema,
  ProcessUse: M.ProcessUseSchema,
  EngineName: S.EngineNameSchema,
  EngineRecord: M.EngineRecordSchema,
  AuditTargetRecord: R.AuditTargetRecordSchema,
  GateOutcome: G.GateOutcomeSchema,
  GateRecord: G.GateRecordSchema,
  HeldCloses: RF.HeldClosesSchema,
  ResourceChange: RF.ResourceChangeSchema,
  ScheduleChangeReason: RF.ScheduleChangeReasonSchema,
  ScheduleRecord: RF.ScheduleRecordSchema,
  HandshakeAudit: RF.HandshakeAuditSchema,
  EvictionFinding: RF.EvictionFindingSchema,
  ConfirmationStop: RF.ConfirmationStopSchema,
  Confirmation: RF.ConfirmationSchema,
  AssertionOutcome: V.AssertionOutcomeSchema,
  RampResult: R.RampResultSchema,
  HoldResult: R.HoldResultSchema,
  Matcher: S.MatcherSchema,
  SendSetting: S.SendSettingSchema,
  TlsSetting: S.TlsSettingSchema,
  RampScheduleSetting: S.RampScheduleSettingSchema,
  RampRunSettings: S.RampRunSettingsSchema,
  HoldRunSettings: S.HoldRunSettingsSchema,
  Change: C.ChangeSchema,
  RunSummary: C.RunSummarySchema,
  HeldCurves: C.HeldCurvesSchema,
  SettingValue: C.SettingValueSchema,
  SettingChange: C.SettingChangeSchema,
  SettingsComparison: C.SettingsComparisonSchema,
  FindingId: D.FindingIdSchema,
  DoctorLimits: D.DoctorLimitsSchema,
  Finding: D.FindingSchema,
  AuditTargetReport: AuditTargetReportSchema,
  HistoryEntry: H.HistoryEntrySchema,
  DamagedLine: H.DamagedLineSchema,
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A schema as plain JSON: only its JSON keywords (TypeBox's markers are not enumerable). */
function plain(schema: TSchema): Json {
  return JSON.parse(JSON.stringify(schema)) as Json;
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text two schemas share when they are the same part, whatever each place says about it (its description). */
function partKey(value: Json): string {
  const canonical = (v: Json): string => {
    if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
    if (!isObject(v)) return JSON.stringify(v);
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k] ?? null)}`).join(',')}}`;
  };
  if (!isObject(value)) return canonical(value);
  const { description: _description, ...rest } = value;
  return canonical(rest);
}

const PART_NAMES = new Map(Object.entries(SHARED_PARTS).map(([name, schema]) => [partKey(plain(schema)), name]));

/**
 * A schema with every shared part below its root written as a `$ref` (keeping the description of the place), and
 * the parts it used, by name (their bodies are written the same way).
 */
function withRefs(root: Json, used: Set<string>): Json {
  const walk = (node: Json, isRoot: boolean): Json => {
    if (Array.isArray(node)) return node.map((n) => walk(n, false));
    if (!isObject(node)) return node;
    const name = isRoot ? undefined : PART_NAMES.get(partKey(node));
    if (name !== undefined) {
      used.add(name);
      const description = node.description;
      return typeof description === 'string' ? { $ref: `#/$defs/${name}`, description } : { $ref: `#/$defs/${name}` };
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, false)]));
  };
  return walk(root, true);
}

/** The published form of one schema: its body with `$ref`s, and `$defs` holding every part it refers to. */
export function publishedSchema(schema: TSchema): { [key: string]: Json } {
  const used = new Set<string>();
  const body = withRefs(plain(schema), used);
  const defs: { [key: string]: Json } = {};
  for (let pending = [...used]; pending.length > 0; pending = [...used].filter((n) => !(n in defs))) {
    for (const name of pending) {
      const part = SHARED_PARTS[name];
      if (part !== undefined) defs[name] = withRefs(plain(part), used);
    }
  }
  const sorted = Object.fromEntries(Object.keys(defs).sort().map((n) => [n, defs[n] ?? null]));
  return { ...(isObject(body) ? body : {}), ...(Object.keys(sorted).length === 0 ? {} : { $defs: sorted }) };
}

/** The text of one schema file: `$schema`, the absolute `$id`, a title, the schema and its `$defs`; a final newline. */
export function schemaFileText(f: SchemaFile): string {
  const doc = { $schema: JSON_SCHEMA_DIALECT, $id: schemaId(f.file), title: f.title, $comment: `written by tcpprobe ${f.writtenBy}`, ...publishedSchema(f.schema) };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
