/**
 * The `tcpprobe/audit` document: what `tcpprobe audit --json` prints, one for the whole audit. Versioned like the
 * result document; a new field is added, never renamed. Its shape is defined once, as a JSON Schema in
 * audit-document-schema.ts; the types here are derived from it.
 */
import type { Static } from 'typebox';
import type { AuditDocumentSchema, AuditTargetReportSchema } from './audit-document-schema.js';

export const AUDIT_SCHEMA = 'tcpprobe/audit' as const;
export const AUDIT_SCHEMA_VERSION = 1 as const;

/** One target of the audit, as it ended. */
export type AuditTargetReport = Static<typeof AuditTargetReportSchema>;
export type AuditDocument = Static<typeof AuditDocumentSchema>;
