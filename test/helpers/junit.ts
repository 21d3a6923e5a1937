/**
 * JUnit XML checked by a real validator: xmllint (Debian's libxml2-utils) against test/fixtures/junit.xsd, and
 * read back with XPath by the same tool, so a test never trusts its own XML parsing. Tests declare need XMLLINT.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { need } from './needs.js';

export const XMLLINT = need.command('xmllint', 'libxml2-utils');
export const JUNIT_XSD = fileURLToPath(new URL('../fixtures/junit.xsd', import.meta.url));

/** xmllint's verdict on `xml` against the JUnit schema: code 0 and "- validates" when it is valid. */
export function validateJUnit(xml: string): { code: number | null; output: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', JUNIT_XSD, '-'], { input: xml, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The string value of an XPath expression over `xml` (xmllint --xpath 'string(...)'). */
export function xpath(xml: string, expression: string): string {
  const r = spawnSync('xmllint', ['--xpath', expression, '-'], { input: xml, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0 && r.status !== 10) throw new Error(`xmllint --xpath ${expression}: ${r.stderr}`);
  return r.stdout.replace(/\n$/, '');
}
