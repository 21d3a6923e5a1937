/**
 * Reply matchers for proof of service (--expect, --reject) and the escaping of what a server sent.
 * Matchers are plain data so they cross process boundaries (workers, agents) unchanged.
 */
import { UsageError } from '../errors.js';
import type { Matcher } from '../types/pool-config.js';


/** Parse "TEXT" or "/regex/flags". */
export function parseMatcher(flag: string, text: string): Matcher {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(text);
  if (m && m[1] !== undefined && m[2] !== undefined) {
    try {
      new RegExp(m[1], m[2]);
    } catch (e) {
      throw new UsageError(`${flag}: bad regular expression ${text}: ${(e as Error).message}`);
    }
    return { kind: 'regex', source: m[1], flags: m[2] };
  }
  if (text === '') throw new UsageError(`${flag}: empty text`);
  return { kind: 'text', text: unescapeText(text) };
}

/** A compiled matcher: a predicate over the text received so far. */
export function compileMatcher(m: Matcher): (received: string) => boolean {
  if (m.kind === 'text') {
    const needle = m.text;
    return (received) => received.includes(needle);
  }
  const re = new RegExp(m.source, m.flags.replace(/[gy]/g, ''));
  return (received) => re.test(received);
}

/** Turn \r \n \t \\ \xNN \0 escapes typed on a command line into the bytes they stand for. */
export function unescapeText(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|[rnt0\\])/g, (_all, seq: string) => {
    switch (seq) {
      case 'r':
        return '\r';
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case '0':
        return '\0';
      case '\\':
        return '\\';
      default:
        return String.fromCharCode(parseInt(seq.slice(1), 16));
    }
  });
}

/** Render bytes a server sent as one printable line: \r \n \t and \xNN for the rest. */
export function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x0d) out += '\\r';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}
