import { describe, expect, it } from 'vitest';
import {
  confirmedNeverCompleted,
  confirmWaitMs,
  handshakeSuspects,
  keepaliveAnswered,
  keepaliveHidesHandshakes,
  parseSsInfo,
  ssFailure,
  tooYoungToTellMs,
} from '../../src/engine/handshake-audit.js';

// Two sockets as `ss -tinH state established ...` prints them (one completed and idle, one whose final ACK the
// server dropped: it got the first SYN-ACK and one retransmission), plus an IPv6 one that received a greeting.
const SS = [
  '0      0      127.0.0.1:40001 127.0.0.1:43957',
  '\t cubic wscale:10,10 rto:200 rtt:0.029/0.014 mss:32741 bytes_acked:1 segs_out:3 segs_in:2 lastsnd:2624 lastrcv:1624 lastack:1624 delivered:1',
  '0      0      127.0.0.1:58898 127.0.0.1:43957',
  '\t cubic wscale:10,10 rto:200 rtt:0.193/0.096 bytes_acked:1 segs_out:2 segs_in:1 lastsnd:2524 lastrcv:2524 lastack:2524',
  '0      0      [::1]:51000 [::1]:6379',
  '\t cubic bytes_acked:1 bytes_received:35 segs_out:2 segs_in:3 data_segs_in:1 lastrcv:100',
  '',
].join('\n');

describe('parseSsInfo', () => {
  it('reads the local address and port, segments in, bytes received and time since the last segment', () => {
    expect(parseSsInfo(SS)).toEqual([
      { key: '127.0.0.1:40001', segsIn: 2, bytesReceived: 0, lastRcvMs: 1624 },
      { key: '127.0.0.1:58898', segsIn: 1, bytesReceived: 0, lastRcvMs: 2524 },
      { key: '[::1]:51000', segsIn: 3, bytesReceived: 35, lastRcvMs: 100 },
    ]);
  });

  it('ignores an info line without a socket line before it, and empty output', () => {
    expect(parseSsInfo('\t segs_in:4\n')).toEqual([]);
    expect(parseSsInfo('')).toEqual([]);
  });
});

describe('handshake suspects and their confirmation', () => {
  const infos = parseSsInfo(SS);

  it('suspects only held sockets with more than one segment in and no data', () => {
    expect(handshakeSuspects(infos, new Set(['127.0.0.1:40001', '127.0.0.1:58898', '[::1]:51000'])).map((s) => s.key)).toEqual(['127.0.0.1:40001']);
    expect(handshakeSuspects(infos, new Set(['127.0.0.1:58898']))).toEqual([]);
  });

  it('suspects none older than the keepalive idle time: an answered keepalive is a segment in too', () => {
    const aged = (lastRcvMs: number) => ({ key: 'k', segsIn: 2, bytesReceived: 0, lastRcvMs });
    const cases: [number, number, boolean][] = [
      // lastrcv (ms since established), keepalive (ms, 0: off), suspected
      [1_624, 30_000, true],
      [29_999, 30_000, true],
      [30_000, 30_000, false],
      [65_000, 30_000, false],
      [65_000, 0, true],
    ];
    for (const [lastRcvMs, keepAliveMs, suspected] of cases) {
      expect(handshakeSuspects([aged(lastRcvMs)], new Set(['k']), keepAliveMs).length, `${lastRcvMs} ms, keepalive ${keepAliveMs}`).toBe(suspected ? 1 : 0);
    }
  });

  it('is not run under a keepalive answered before a resent SYN-ACK could show (1.4 s), and says why', () => {
    expect(keepaliveHidesHandshakes(1000)).toBe('--keepalive 1s is answered before a resent SYN-ACK can show (1.4s), and looks the same');
    for (const ms of [0, 2000, 30_000]) expect(keepaliveHidesHandshakes(ms), `${ms} ms`).toBeNull();
  });

  it('names the sockets whose keepalive was answered: past the idle time, more than one segment in', () => {
    const socket = (key: string, segsIn: number, lastRcvMs: number | null) => ({ key, segsIn, bytesReceived: 0, lastRcvMs });
    const cases: [ReturnType<typeof socket>, number, boolean][] = [
      // socket, keepalive (ms, 0: off), answered
      [socket('old, answered', 2, 31_000), 30_000, true],
      [socket('young, a resent SYN-ACK', 2, 1_800), 30_000, false],
      [socket('old, nothing since', 1, 31_000), 30_000, false],
      [socket('no lastrcv', 2, null), 30_000, false],
      [socket('keepalive off', 3, 90_000), 0, false],
    ];
    for (const [s, keepAliveMs, answered] of cases) expect(keepaliveAnswered([s], keepAliveMs).has(s.key), s.key).toBe(answered);
  });

  it('tells the same port on two source addresses apart (a process binds several)', () => {
    expect(handshakeSuspects(infos, new Set(['127.0.0.2:40001']))).toEqual([]);
  });

  it('waits until the next SYN-ACK retransmission is due (1, 3, 7 s after establishment), plus a margin, at most 9 s', () => {
    expect(confirmWaitMs([{ key: 'a', segsIn: 2, bytesReceived: 0, lastRcvMs: 1624 }])).toBe(3000 - 1624 + 400);
    expect(confirmWaitMs([{ key: 'a', segsIn: 3, bytesReceived: 0, lastRcvMs: 3100 }])).toBe(7000 - 3100 + 400);
    expect(confirmWaitMs([{ key: 'a', segsIn: 6, bytesReceived: 0, lastRcvMs: 0 }])).toBe(9000);
    expect(confirmWaitMs([{ key: 'a', segsIn: 2, bytesReceived: 0, lastRcvMs: 5000 }])).toBe(0);
    expect(confirmWaitMs([])).toBe(0);
  });

  it('confirms a suspect that received another segment, and clears one that went quiet or got data', () => {
    const suspects = [
      { key: 'a', segsIn: 2, bytesReceived: 0, lastRcvMs: 900 },
      { key: 'b', segsIn: 2, bytesReceived: 0, lastRcvMs: 900 },
      { key: 'c', segsIn: 2, bytesReceived: 0, lastRcvMs: 900 },
    ];
    const later = [
      { key: 'a', segsIn: 3, bytesReceived: 0, lastRcvMs: 10 },
      { key: 'b', segsIn: 2, bytesReceived: 0, lastRcvMs: 2900 },
      { key: 'c', segsIn: 3, bytesReceived: 12, lastRcvMs: 10 },
    ];
    expect([...confirmedNeverCompleted(suspects, later)]).toEqual(['a']);
  });
});

describe('tooYoungToTellMs', () => {
  const info = (n: number, segsIn: number, bytesReceived: number, lastRcvMs: number | null) => ({ key: `127.0.0.1:${n}`, segsIn, bytesReceived, lastRcvMs });
  const held = new Set(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3', '127.0.0.1:4']);

  it('waits until the youngest silent held socket is 1.4 s old', () => {
    expect(tooYoungToTellMs([info(1, 1, 0, 200), info(2, 1, 0, 900)], held)).toBe(1200);
  });

  it('sockets that received data, already saw a retransmission, or are not held need no wait', () => {
    expect(tooYoungToTellMs([info(1, 1, 12, 10), info(2, 2, 0, 10), info(9, 1, 0, 10), info(3, 1, 0, 5000)], held)).toBe(0);
  });
});

describe('ssFailure', () => {
  it.each([
    [{ code: 'ENOENT', message: 'spawn ss ENOENT' }, 'ss (iproute2) is not installed: it reads TCP_INFO'],
    [{ code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER', message: 'stdout maxBuffer length exceeded' }, 'ss printed more than 256 MB (too many sockets to read)'],
    [{ code: null, killed: true, signal: 'SIGTERM', message: 'Command failed: ss -tinH' }, 'ss did not answer within 15s (too many sockets to read)'],
    [{ code: 1, killed: false, signal: null, message: 'Command failed: ss -tinH\nCannot open netlink socket' }, 'ss failed: Command failed: ss -tinH'],
  ])('%j', (err, words) => {
    expect(ssFailure(err)).toBe(words);
  });
});
