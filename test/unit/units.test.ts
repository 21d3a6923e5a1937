import { describe, expect, it } from 'vitest';
import {
  formatDurationMs,
  parseCount,
  parseDurationMs,
  parseHost,
  parseHostPort,
  parsePort,
  parseRate,
  parseSourceAddresses,
} from '../../src/config/units.js';
import { UsageError } from '../../src/errors.js';
import { escapeBytes, parseMatcher, compileMatcher, unescapeText } from '../../src/engine/matcher.js';

describe('units', () => {
  it('parses durations with units; a bare number other than 0 is refused with the unit to add', () => {
    expect(parseDurationMs('--x', '250ms')).toBe(250);
    expect(parseDurationMs('--x', '1.5s')).toBe(1500);
    expect(parseDurationMs('--x', '2m')).toBe(120_000);
    expect(parseDurationMs('--x', '0')).toBe(0);
    expect(() => parseDurationMs('--max-duration', '120')).toThrow(/^--max-duration: 120 needs a unit: 120s or 120ms$/);
    expect(() => parseDurationMs('--settle', ' 2.5 ')).toThrow(/^--settle: 2.5 needs a unit: 2.5s or 2.5ms$/);
    expect(() => parseDurationMs('--hold', 'soon')).toThrow(/--hold: "soon" is not a duration/);
  });
  it('parses compound durations, largest unit first', () => {
    expect(parseDurationMs('--x', '1m30s')).toBe(90_000);
    expect(parseDurationMs('--x', '1h5m')).toBe(3_900_000);
    expect(parseDurationMs('--x', '1h0m1s')).toBe(3_601_000);
    expect(parseDurationMs('--x', '2m0.5s')).toBe(120_500);
    expect(parseDurationMs('--x', '1s250ms')).toBe(1250);
    expect(parseDurationMs('--x', ' 1M30S ')).toBe(90_000);
    // What tcpprobe prints, it reads back.
    for (const ms of [850, 2500, 90_000, 190_000, 3_600_000]) expect(parseDurationMs('--x', formatDurationMs(ms))).toBe(ms);
  });
  it.each(['30s1m', '1m1m', '1m 30s', '1m30', 'm30s', '', '1ms5s', '-1s', '1d'])('refuses "%s" with one line naming the flag', (text) => {
    expect(() => parseDurationMs('--max-duration', text)).toThrow(/^--max-duration: /);
  });
  it('parses counts and rates', () => {
    expect(parseCount('--max', '5k')).toBe(5000);
    expect(parseCount('--max', '1.5m')).toBe(1_500_000);
    expect(parseRate('--rate', '500/s')).toBe(500);
    expect(() => parseCount('--max', '1.5')).toThrow(UsageError);
    expect(() => parseRate('--rate', '0')).toThrow(/--rate: must be above 0/);
  });
  it('checks ports', () => {
    expect(parsePort('--port', '8080')).toBe(8080);
    expect(() => parsePort('--port', '0')).toThrow(/out of range/);
    expect(parsePort('--port', '0', true)).toBe(0);
    expect(() => parsePort('--port', '70000')).toThrow(/out of range/);
    expect(() => parsePort('--port', 'http')).toThrow(/not a port/);
  });
  it('checks host shapes and host:port', () => {
    expect(parseHost('--host', 'example.com')).toBe('example.com');
    expect(parseHost('--host', '[::1]')).toBe('::1');
    expect(() => parseHost('--host', 'bad host!')).toThrow(/not a valid host/);
    expect(parseHostPort('--t', '[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseHostPort('--t', '127.0.0.1:9')).toEqual({ host: '127.0.0.1', port: 9 });
    expect(() => parseHostPort('--t', 'nohost')).toThrow(/not host:port/);
  });
  it('expands source address lists and ranges', () => {
    expect(parseSourceAddresses('--source', '127.0.0.2-127.0.0.4,::1')).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', '::1']);
    expect(() => parseSourceAddresses('--source', '127.0.0.9-127.0.0.2')).toThrow(/ends before/);
    expect(() => parseSourceAddresses('--source', '127.0.0.1-127.9.0.1')).toThrow(/more than/);
    expect(() => parseSourceAddresses('--source', 'localhost')).toThrow(/not an IP/);
  });
  it('formats durations', () => {
    expect(formatDurationMs(850)).toBe('850ms');
    expect(formatDurationMs(2500)).toBe('2.5s');
    expect(formatDurationMs(190_000)).toBe('3m10s');
  });
});

describe('matchers and escapes', () => {
  it('parses text and /regex/', () => {
    expect(parseMatcher('--expect', 'PONG\\r\\n')).toEqual({ kind: 'text', text: 'PONG\r\n' });
    expect(parseMatcher('--expect', '/^\\+OK/i')).toEqual({ kind: 'regex', source: '^\\+OK', flags: 'i' });
    expect(() => parseMatcher('--expect', '/(/')).toThrow(/bad regular expression/);
    expect(compileMatcher({ kind: 'regex', source: 'max.*clients', flags: '' })('-ERR max number of clients')).toBe(true);
  });
  it('unescapes typed escapes and escapes server bytes', () => {
    expect(unescapeText('a\\r\\n\\x41\\\\')).toBe('a\r\nA\\');
    expect(escapeBytes(Buffer.from('-ERR max\r\n\x00\xff', 'latin1'))).toBe('-ERR max\\r\\n\\x00\\xff');
  });
});
