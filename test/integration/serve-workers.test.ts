/**
 * The built-in target over several processes (`serve --workers N`): the primary admits against one exact global
 * cap and hands connections to worker processes, which greet, echo, close after a while and report closes back.
 * Also the CLI side: the listening line, usage errors, and no worker outliving its primary.
 */
import os from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { connect, connectInOrder, connectMany, connectSettled, GREETING, waitFor, type Client } from '../helpers/test-clients.js';
import { startMultiProcessTarget, type MultiProcessTarget } from '../../src/server/multi-process.js';
import type { TargetServerOptions } from '../../src/server/target-server.js';
import { UsageError } from '../../src/errors.js';
import { collect, parseResult, runCli, startCli, startServe } from '../helpers/cli.js';
import { waitForOutput } from '../helpers/child-output.js';
import { NEEDS_SS, serverCount } from '../helpers/kernel-count.js';
import { itNeeding } from '../helpers/needs.js';
import { EXIT } from '../../src/metrics/exit-codes.js';
import type { RampResult } from '../../src/metrics/result.js';
import { testEngine } from '../helpers/engine.js';

const CAP = 20;
const run = promisify(execFile);

async function startMulti(
  options: Partial<TargetServerOptions>,
  workers: number,
  maxHeldPerWorker: number | null = null,
): Promise<MultiProcessTarget> {
  const server = await startMultiProcessTarget({ host: '127.0.0.1', port: 0, ...options }, workers, null, maxHeldPerWorker);
  onTestFinished(() => server.close());
  return server;
}

function expectBalanced(server: MultiProcessTarget): void {
  const s = server.stats();
  expect(s.accepted).toBe(s.open + s.closedByClient + s.closedByServer);
}

/** Child PIDs of `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text !== '') out.push(...text.split(/\s+/).map(Number));
  }
  return out;
}

/** True while `pid` runs; a zombie (exited, not yet reaped by whoever adopted it) counts as gone. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('serve over several processes, within the cap', () => {
  it('holds connections in the workers, greets and echoes there, and counts closes globally', async () => {
    const server = await startMulti({ greeting: GREETING, echo: true }, 3);
    const batch = await connectMany(server.port, 30);
    // Without a cap workers admit at once and report within a few milliseconds: the count follows shortly.
    await waitFor(() => server.stats().open === 30, 'the workers to report thirty');
    const loads = server.workerLoads();
    expect(loads.reduce((sum, w) => sum + w.open, 0)).toBe(30);
    // Echo is served with Node sockets, whatever the engine.
    expect(loads.map((w) => w.engine)).toEqual(['js', 'js', 'js']);
    expect(loads.every((w) => w.alive && w.pid !== null)).toBe(true);
    // As many workers accept at a time as there are CPUs (the least loaded), so they do not all wake for each.
    expect(loads.filter((w) => w.accepting)).toHaveLength(Math.min(3, os.availableParallelism()));
    const first = batch[0] as Client;
    first.socket.write('ping\n');
    await waitFor(() => first.data === `${GREETING}ping\n`, 'the echo');
    expect(server.stats()).toEqual({
      open: 30,
      peakOpen: 30,
      accepted: 30,
      overLimit: 0,
      closedByClient: 0,
      closedByServer: 0,
      accepting: true,
    });

    for (const c of batch.slice(0, 4)) c.socket.end();
    for (const c of batch.slice(4, 10)) c.socket.resetAndDestroy();
    await waitFor(() => server.stats().closedByClient === 10, 'the workers to report ten closes');
    expect(server.stats()).toMatchObject({ open: 20, peakOpen: 30 });
    expectBalanced(server);
  });

  it('a worker at its limit stops accepting, the others take over, and a new listener comes once there is room', async () => {
    const server = await startMulti({ greeting: GREETING }, 2, 5);
    const first = await connectMany(server.port, 10);
    await waitFor(() => !server.stats().accepting, 'both workers to stop accepting at 5 each');
    expect(server.workerLoads().map((w) => w.open)).toEqual([5, 5]);
    // A holding target accepts in the native core unless the JS engine is asked for (src/server/native-serving.ts).
    expect(server.workerLoads().map((w) => w.engine)).toEqual([testEngine, testEngine]);
    expect((await connectSettled(server.port)).errorCode).toBe('ECONNREFUSED');

    // With every copy of the listening socket closed, the primary binds a new one once workers have room.
    for (const c of first) c.socket.resetAndDestroy();
    await waitFor(
      () => server.workerLoads().filter((w) => w.accepting).length === Math.min(2, os.availableParallelism()),
      'a new listener for the workers with room',
    );
    await connectMany(server.port, 3);
    expect(server.stats()).toMatchObject({ open: 3, accepted: 13, closedByClient: 10, overLimit: 0 });
    expectBalanced(server);
  });

  it('a worker at its limit lends its copy of the listening socket to one without a copy', async () => {
    // One worker more than may listen at a time: it gets a copy only when another fills up and lends its own.
    const workers = os.availableParallelism() + 1;
    const server = await startMulti({ greeting: GREETING }, workers, 4);
    expect(server.workerLoads().filter((w) => w.accepting)).toHaveLength(workers - 1);
    const clients: Client[] = [];
    for (let i = 0; i < 4 * workers; i++) {
      // Connect only while a worker with room holds a copy: between one filling up and the lend landing, none may.
      if (i > 0) await waitFor(() => server.workerLoads().some((w) => w.accepting && w.open < 4), 'a worker with room and a copy');
      const [client] = await connectMany(server.port, 1);
      clients.push(client as Client);
      await waitFor(() => client?.data === GREETING, 'its greeting');
      await waitFor(() => server.stats().open === i + 1, 'the count');
    }
    await waitFor(() => !server.stats().accepting, 'every worker to fill up');
    expect(server.workerLoads().map((w) => w.open)).toEqual(Array.from({ length: workers }, () => 4));
    expect(server.stats()).toMatchObject({ open: 4 * workers, accepted: 4 * workers, overLimit: 0 });
    expectBalanced(server);
  });

  itNeeding([NEEDS_SS], 'keeps its --backlog on the shared listening socket, after every copy taken and lent', async () => {
    // Node listens again with 511 on a listening socket it receives over IPC; the backlog is the socket's own.
    const backlog = async (port: number): Promise<string> => {
      const { stdout } = await run('ss', ['-ltnH', 'sport', '=', `:${port}`]);
      return stdout.trim().split(/\s+/)[2] ?? '';
    };
    const workers = os.availableParallelism() + 1;
    const server = await startMulti({ greeting: GREETING, backlog: 1000 }, workers, 2);
    const clients: Client[] = [];
    for (let i = 0; i < 3; i++) {
      const [client] = await connectMany(server.port, 1);
      clients.push(client as Client);
      await waitFor(() => client?.data === GREETING, 'its greeting');
    }
    // One worker filled up (2 each) and lent its copy to the one without: every copy has been received by now.
    await waitFor(() => server.workerLoads().filter((w) => w.accepting).length === workers - 1 && server.stats().open === 3, 'the lend');
    await waitFor(() => server.workerLoads().every((w) => w.open === 2 ? !w.accepting : true), 'the full worker to give up its copy');
    expect(await backlog(server.port)).toBe('1000');
  });

  it('never leaves the listening socket without a copy while a worker has room, when the listening ones fill at once', async () => {
    // Every listening worker fills in the same burst. Had each closed its copy on filling up, the socket would close
    // (connects refused, and those in its accept queue reset) until the primary bound a new one.
    const workers = os.availableParallelism() + 2;
    for (let round = 0; round < 5; round++) {
      const server = await startMulti({ greeting: GREETING }, workers, 2);
      const burst = Array.from({ length: 2 * workers }, () => connect(server.port));
      await waitFor(() => burst.every((c) => c.data === GREETING || c.errorCode !== null), 'every connect to be greeted or fail');
      expect(burst.map((c) => c.errorCode).filter((e) => e !== null), `round ${round}`).toEqual([]);
      await server.close();
    }
  });

  it('closes every connection closeAfterMs after accept, from the workers', async () => {
    const server = await startMulti({ greeting: GREETING, closeAfterMs: 200 }, 2);
    const started = performance.now();
    const batch = await connectMany(server.port, 6);
    await waitFor(() => batch.every((c) => c.ended), 'the workers to close all six');
    // A worker accepted each after its connect began, so its close came at least 200 ms after that, whatever the load.
    expect(batch.map((c) => c.endedAt! - started).filter((ms) => ms < 200)).toEqual([]);
    expect(batch.every((c) => c.errorCode === null)).toBe(true);
    await waitFor(() => server.stats().open === 0, 'the closes to be counted');
    expect(server.stats()).toMatchObject({ accepted: 6, closedByServer: 6, closedByClient: 0 });
  });
});

describe('serve over several processes, at the exact global cap', () => {
  it('close: exactly the cap is served, the rest get the message and a FIN', async () => {
    const message = '-ERR max number of clients reached\r\n';
    const server = await startMulti({ maxConns: CAP, greeting: GREETING, overLimitMessage: message }, 3);
    const within = await connectMany(server.port, CAP);
    const over = await connectMany(server.port, 5, null);
    await waitFor(() => over.every((c) => c.ended || c.errorCode !== null), 'the over-limit clients to be closed');
    for (const c of over) expect(c).toMatchObject({ data: message, ended: true, errorCode: null });
    expect(within.every((c) => !c.ended && c.errorCode === null)).toBe(true);
    // A worker reports its denials after it closed them: the client can see the close before the primary counts it.
    await waitFor(() => server.stats().overLimit === 5, 'the denials to be counted');
    expect(server.stats()).toMatchObject({ open: CAP, peakOpen: CAP, accepted: CAP, overLimit: 5 });

    // Room made in one worker is usable by the next connection, whichever worker takes it.
    for (const c of within.slice(0, 3)) c.socket.resetAndDestroy();
    await waitFor(() => server.stats().open === CAP - 3, 'the closes to reach the primary');
    await connectMany(server.port, 3);
    const late = await connectMany(server.port, 1, null);
    await waitFor(() => late[0]?.ended === true, 'the next over-limit client to be closed');
    await waitFor(() => server.stats().overLimit === 6, 'that denial to be counted');
    expect(server.stats()).toMatchObject({ open: CAP, peakOpen: CAP, accepted: CAP + 3, overLimit: 6 });
    expectBalanced(server);
  });

  it('reset: over-limit connections are reset by the primary', async () => {
    const server = await startMulti({ maxConns: CAP, overLimit: 'reset', greeting: GREETING }, 2);
    await connectMany(server.port, CAP);
    const over = Array.from({ length: 5 }, () => connect(server.port));
    await waitFor(() => over.every((c) => c.errorCode !== null), 'the over-limit clients to be reset');
    expect(over.map((c) => c.errorCode)).toEqual(Array(5).fill('ECONNRESET'));
    // As with close: the reset reaches the client before the primary has counted it.
    await waitFor(() => server.stats().overLimit === 5, 'the denials to be counted');
    expect(server.stats()).toMatchObject({ open: CAP, accepted: CAP, overLimit: 5 });
  });

  it('refuse: stops listening at the cap and listens again once a worker reports a close', async () => {
    const server = await startMulti({ maxConns: CAP, overLimit: 'refuse', greeting: GREETING }, 3);
    const within = await connectMany(server.port, CAP);
    await waitFor(() => !server.stats().accepting, 'the listener to close');
    for (let i = 0; i < 3; i++) expect((await connectSettled(server.port)).errorCode).toBe('ECONNREFUSED');

    for (const c of within.slice(0, 2)) c.socket.resetAndDestroy();
    await waitFor(() => server.stats().accepting, 'the listener to reopen');
    await connectMany(server.port, 2);
    await waitFor(() => !server.stats().accepting, 'the listener to close again');
    expect((await connectSettled(server.port)).errorCode).toBe('ECONNREFUSED');
    expect(server.stats()).toMatchObject({ open: CAP, peakOpen: CAP, accepted: CAP + 2, closedByClient: 2 });
    expectBalanced(server);
  });

  it('evict: each newcomer closes the globally oldest connection, whichever worker holds it', async () => {
    const server = await startMulti({ maxConns: CAP, overLimit: 'evict', greeting: GREETING }, 3);
    const within = await connectInOrder(server.port, CAP);
    const newcomers = await connectInOrder(server.port, 5);
    await waitFor(() => within.slice(0, 5).every((c) => c.ended), 'the five oldest to be closed');
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

  it('rejects ignore mode over several processes, with every other problem', async () => {
    const attempt = startMultiProcessTarget({ maxConns: 5, overLimit: 'ignore', backlog: 0 }, 2);
    const error = (await attempt.catch((e: unknown) => e)) as UsageError;
    expect(error).toBeInstanceOf(UsageError);
    expect(error.problems).toHaveLength(2);
    expect(error.problems.join('\n')).toMatch(/ignore needs --workers 1/);
  });
});

describe('tcpprobe serve --workers (CLI)', () => {
  itNeeding([NEEDS_SS], 'a ramp finds the exact cap held across processes, exit 0', async () => {
    const serve = await startServe(['--workers', '3', '--max-conns', '600']);
    const workers = childPids(serve.child.pid as number);
    // --settle 500ms: a worker asks the primary before it turns a connection away at the cap, and until every
    // worker has heard "at the cap" that answer crosses processes; on two loaded cores shared by five processes
    // it can come later than the default 100 ms, and the connection would count as held first.
    const child = startCli(['ramp', '--host', '127.0.0.1', '--port', String(serve.port), '--rate', '3000', '--settle', '500ms', '--hold', '3s', '--json']);
    const done = collect(child, 45_000);
    // Who holds the server's connections, as the kernel says, once the ramp holds them: its status line (every
    // second) says so at most a second into the 3 s hold.
    await waitForOutput(child, /\] hold +held /, { timeoutMs: 40_000 });
    const held = await serverCount(serve.port, '127.0.0.1', true);
    const run = await done;
    expect(run.code, run.stderr.slice(-2000)).toBe(EXIT.ok);
    const result = parseResult<RampResult>(run);
    expect(result.verdict.kind).toBe('limit-by-failure');
    expect(result.maxConcurrency).toBe(600);
    // The server's side: the cap open, every connection held in a worker process, and in more than one.
    const holders = [...held.byPid].map(([pid, n]) => `${pid}: ${n}`).join(', ');
    expect(held.total, holders).toBe(600);
    expect([...held.byPid.values()].reduce((a, b) => a + b, 0), holders).toBe(600);
    expect([...held.byPid.keys()].every((pid) => workers.includes(pid)), `${holders}; workers ${workers.join(', ')}`).toBe(true);
    expect(held.byPid.size, holders).toBeGreaterThan(1);
  });

  it('stops every worker on SIGTERM, and workers exit when the primary is killed outright', async () => {
    const serve = await startServe(['--workers', '3']);
    const pid = serve.child.pid as number;
    await waitFor(() => childPids(pid).length === 3, 'three worker processes');
    const workers = childPids(pid);
    await connectMany(serve.port, 9, null);
    await serve.stop();
    await waitFor(() => workers.every((w) => !alive(w)), 'the workers to exit after SIGTERM');

    const killed = await startServe(['--workers', '2']);
    const killedPid = killed.child.pid as number;
    await waitFor(() => childPids(killedPid).length === 2, 'two worker processes');
    const orphans = childPids(killedPid);
    killed.child.kill('SIGKILL');
    await waitFor(() => orphans.every((w) => !alive(w)), 'the workers to exit with their primary');
  });

  it('refuses --over-limit ignore with more than one worker as a usage error', async () => {
    const run = await runCli(['serve', '--workers', '2', '--max-conns', '5', '--over-limit', 'ignore', '--port', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--over-limit ignore needs --workers 1/);
    expect(run.stdout).toBe('');
  });
});
