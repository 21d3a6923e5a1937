/**
 * The built-in target server on real loopback sockets: each over-limit mode with a small cap, greeting, echo,
 * closeAfterMs, stats and teardown. Bounds are generous; assertions are on counts and error classes, not timings.
 */
import { describe, expect, it } from 'vitest';
import { connect, connectInOrder, connectMany, connectSettled, GREETING, waitFor, type Client } from '../helpers/test-clients.js';
import { startTarget } from '../helpers/target.js';
import { startTargetServer, type OverLimitMode, type TargetServer } from '../../src/server/target-server.js';
import { UsageError } from '../../src/errors.js';
import { itNeeding, need } from '../helpers/needs.js';

const CAP = 20;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function expectBalanced(server: TargetServer): void {
  const s = server.stats();
  expect(s.accepted).toBe(s.open + s.closedByClient + s.closedByServer);
}

describe('target server within the cap', () => {
  it('greets, echoes, and counts client closes and resets without crashing', async () => {
    const server = await startTarget({ greeting: GREETING, echo: true });
    const [a, b, c] = await connectMany(server, 3);
    if (a === undefined || b === undefined || c === undefined) throw new Error('three clients expected');
    a.socket.write('ping\n');
    await waitFor(() => a.data === `${GREETING}ping\n`, 'the echo');
    expect(server.stats()).toEqual({
      open: 3,
      peakOpen: 3,
      accepted: 3,
      overLimit: 0,
      closedByClient: 0,
      closedByServer: 0,
      accepting: true,
    });

    b.socket.end();
    c.socket.write('unread by the test, then reset');
    c.socket.resetAndDestroy();
    await waitFor(() => server.stats().closedByClient === 2, 'the server to notice both closes');
    expect(server.stats()).toMatchObject({ open: 1, peakOpen: 3, closedByServer: 0 });
    expectBalanced(server);
  });

  it('reads and discards without echo, and holds connections without a cap', async () => {
    const server = await startTarget({});
    const batch = await connectMany(server, 50, null);
    for (const c of batch) c.socket.write('hello?\r\n');
    await sleep(100);
    expect(batch.every((c) => c.data === '' && !c.ended && c.errorCode === null)).toBe(true);
    await waitFor(() => server.stats().open === 50, 'open === 50');
    expect(server.stats()).toMatchObject({ accepted: 50, overLimit: 0, accepting: true });
  });

  itNeeding([need.ipv6], 'listens on ::1', async () => {
    const server = await startTarget({ host: '::1', greeting: GREETING });
    expect(server.host).toBe('::1');
    await connectMany(server, 2);
    expect(server.stats().open).toBe(2);
  });

  it('closes each connection closeAfterMs after its own accept, never sooner', async () => {
    const server = await startTarget({ greeting: GREETING, closeAfterMs: 200 });
    // Two batches 100 ms apart: each must get its 200 ms, the second counted from its own accepts, not the first's.
    const firstStarted = performance.now();
    const first = await connectMany(server, 5);
    await sleep(100);
    const secondStarted = performance.now();
    const second = await connectMany(server, 5);
    const batch = [...first, ...second];
    await waitFor(() => batch.every((c) => c.ended), 'the server to close all ten');
    // The server (in this process, on the same clock) accepted each after its connect began, so its close, and the
    // 'end' it brought, came at least 200 ms after that: a lower bound that no load can break.
    const openFor = (c: Client, since: number): number => c.endedAt! - since;
    expect(first.map((c) => openFor(c, firstStarted)).filter((ms) => ms < 200)).toEqual([]);
    expect(second.map((c) => openFor(c, secondStarted)).filter((ms) => ms < 200)).toEqual([]);
    expect(batch.every((c) => c.errorCode === null)).toBe(true);
    expect(server.stats()).toMatchObject({ open: 0, accepted: 10, closedByServer: 10, closedByClient: 0 });
  });
});

describe('target server at the cap', () => {
  it('close: over-limit connections get the message, then a FIN', async () => {
    const message = '-ERR max number of clients reached\r\n';
    const server = await startTarget({ maxConns: CAP, overLimit: 'close', greeting: GREETING, overLimitMessage: message });
    const within = await connectMany(server, CAP);
    const over = await connectMany(server, 5, null);
    await waitFor(() => over.every((c) => c.ended || c.errorCode !== null), 'the over-limit clients to be closed');
    for (const c of over) expect(c).toMatchObject({ data: message, ended: true, errorCode: null });
    expect(within.every((c) => !c.ended && c.errorCode === null)).toBe(true);
    expect(server.stats()).toEqual({
      open: CAP,
      peakOpen: CAP,
      accepted: CAP,
      overLimit: 5,
      closedByClient: 0,
      closedByServer: 0,
      accepting: true,
    });
  });

  it('reset: over-limit connections are reset', async () => {
    const server = await startTarget({ maxConns: CAP, overLimit: 'reset', greeting: GREETING });
    const within = await connectMany(server, CAP);
    const over = Array.from({ length: 5 }, () => connect(server));
    await waitFor(() => over.every((c) => c.errorCode !== null), 'the over-limit clients to be reset');
    expect(over.map((c) => c.errorCode)).toEqual(Array(5).fill('ECONNRESET'));
    expect(over.every((c) => c.data === '')).toBe(true);
    expect(within.every((c) => c.errorCode === null)).toBe(true);
    expect(server.stats()).toMatchObject({ open: CAP, accepted: CAP, overLimit: 5, accepting: true });
  });

  it('refuse: stops listening at the cap and listens again below it', async () => {
    const server = await startTarget({ maxConns: CAP, overLimit: 'refuse', greeting: GREETING });
    const within = await connectMany(server, CAP);
    await waitFor(() => !server.stats().accepting, 'the listener to close');
    for (let i = 0; i < 5; i++) expect((await connectSettled(server)).errorCode).toBe('ECONNREFUSED');
    expect(server.stats()).toMatchObject({ open: CAP, accepted: CAP, overLimit: 0, accepting: false });

    for (const c of within.slice(0, 3)) c.socket.resetAndDestroy();
    await waitFor(() => server.stats().accepting, 'the listener to reopen');
    expect(server.stats()).toMatchObject({ open: CAP - 3, closedByClient: 3 });
    await connectMany(server, 3);
    await waitFor(() => !server.stats().accepting, 'the listener to close again');
    expect((await connectSettled(server)).errorCode).toBe('ECONNREFUSED');
    expect(server.stats()).toMatchObject({ open: CAP, peakOpen: CAP, accepted: CAP + 3 });
    expect(within.slice(3).every((c) => c.errorCode === null && !c.ended)).toBe(true);
    expectBalanced(server);
  });

  it('evict: each newcomer closes the oldest connection', async () => {
    const server = await startTarget({ maxConns: CAP, overLimit: 'evict', greeting: GREETING });
    const within = await connectInOrder(server, CAP);
    const newcomers = await connectInOrder(server, 5);
    await waitFor(() => within.slice(0, 5).every((c) => c.ended), 'the five oldest to be closed');
    expect(within.slice(0, 5).every((c) => c.errorCode === null)).toBe(true);
    expect([...within.slice(5), ...newcomers].every((c) => !c.ended && c.errorCode === null)).toBe(true);
    expect(server.stats()).toEqual({
      open: CAP,
      peakOpen: CAP,
      accepted: CAP + 5,
      overLimit: 5,
      closedByClient: 0,
      closedByServer: 5,
      accepting: true,
    });
  });

  it('ignore: stops accepting, the kernel queues backlog + 1, then connects hang', async () => {
    const backlog = 5;
    const server = await startTarget({ maxConns: CAP, overLimit: 'ignore', backlog, greeting: GREETING });
    // In order, not in a burst: a burst of 19 overflows a backlog of 5 even while the server accepts, and the
    // dropped SYNs would only be retried after a second or more.
    const within = await connectInOrder(server, CAP - 1);
    // Below the cap the worker relays its stats.
    await waitFor(() => server.stats().open === CAP - 1, 'stats from the worker');
    expect(server.stats().accepting).toBe(true);
    within.push(...(await connectMany(server, 1)));
    await waitFor(() => !server.stats().accepting, 'the worker to block at the cap');
    expect(server.stats()).toMatchObject({ open: CAP, peakOpen: CAP, accepted: CAP, overLimit: 0 });

    // One at a time: a queued connect completes at once; the first that does not within 1.5 s had its SYN dropped.
    const queued: Client[] = [];
    let stalled: Client | null = null;
    for (let i = 0; i < backlog + 10 && stalled === null; i++) {
      const c = await connectSettled(server, 1500);
      if (c.connected) queued.push(c);
      else stalled = c;
    }
    expect(stalled).not.toBeNull();
    expect(stalled?.errorCode).toBeNull();
    if (process.platform === 'linux') expect(queued).toHaveLength(backlog + 1);
    else expect(queued.length).toBeGreaterThan(0);
    await sleep(100);
    expect(queued.every((c) => c.data === '' && c.errorCode === null)).toBe(true);
    expect(server.stats().accepted).toBe(CAP);

    await server.close();
    expect(server.stats()).toMatchObject({ open: 0, accepting: false });
    await waitFor(() => within.every((c) => c.errorCode !== null || c.ended), 'the served clients to be dropped');
  });
});

describe('target server lifecycle', () => {
  it('close() resets every connection, frees the port, and is idempotent', async () => {
    const server = await startTarget({ maxConns: CAP, overLimit: 'close', greeting: GREETING });
    const batch = await connectMany(server, 10);
    await Promise.all([server.close(), server.close()]);
    await server.close();
    expect(server.stats()).toMatchObject({ open: 0, accepting: false });
    await waitFor(() => batch.every((c) => c.errorCode !== null), 'the clients to see the reset');
    expect(new Set(batch.map((c) => c.errorCode))).toEqual(new Set(['ECONNRESET']));
    expect((await connectSettled(server)).errorCode).toBe('ECONNREFUSED');
  });

  it.each<OverLimitMode>(['refuse', 'ignore'])('close() works while %s mode sits at the cap', async (mode) => {
    const server = await startTarget({ maxConns: 3, overLimit: mode, greeting: GREETING });
    await connectMany(server, 3);
    await waitFor(() => !server.stats().accepting, 'the cap');
    await server.close();
    expect((await connectSettled(server)).errorCode).toBe('ECONNREFUSED');
  });

  it('rejects bad options, listing every problem', async () => {
    const attempt = startTargetServer({ maxConns: 0, backlog: 0, overLimit: 'drop' as OverLimitMode, port: 70000 });
    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(attempt).rejects.toMatchObject({ problems: expect.arrayContaining([expect.stringMatching(/^port/)]) });
    const error = (await attempt.catch((e: unknown) => e)) as UsageError;
    expect(error.problems).toHaveLength(4);
  });

  it('fails to start on a port already in use', async () => {
    const first = await startTarget({});
    await expect(startTargetServer({ port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await expect(startTargetServer({ port: first.port, maxConns: 1, overLimit: 'ignore' })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});
