import { describe, expect, it } from 'vitest';
import { classifyErrorCode, CLIENT_LIMIT_ADVICE } from '../../src/engine/failure-class.js';
import { isClientSide, ALL_FAILURE_CLASSES } from '../../src/types/failure-class.js';

describe('classifyErrorCode', () => {
  it.each([
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['ETIMEDOUT', 'timeout'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['EHOSTUNREACH', 'unreachable'],
    ['EMFILE', 'fd-limit'],
    ['ENFILE', 'fd-limit'],
    ['EADDRNOTAVAIL', 'ports'],
    ['EADDRINUSE', 'ports'],
    ['ENOBUFS', 'memory'],
    ['ENOMEM', 'memory'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['EWEIRD', 'other'],
    [undefined, 'other'],
  ])('%s -> %s', (code, cls) => {
    expect(classifyErrorCode(code)).toBe(cls);
  });

  it('marks exactly the machine-side classes as client-side, each with advice', () => {
    expect(ALL_FAILURE_CLASSES.filter(isClientSide)).toEqual(['fd-limit', 'ports', 'memory', 'conntrack']);
    for (const cls of ['fd-limit', 'ports', 'memory', 'conntrack'] as const) expect(CLIENT_LIMIT_ADVICE[cls]).toMatch(/\w/);
  });
});
