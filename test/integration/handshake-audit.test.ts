/**
 * Handshakes the server never completed are not counted as held. A listener that never accepts, with its accept
 * queue made to overflow while this side believes it connected: a firewall rule (in a namespace of the test's own)
 * drops the final ACKs of the probe's handshakes, so the server keeps them as requests and retransmits its SYN-ACK;
 * when the rule goes, the queue takes only what fits and drops the other ACKs (ListenOverflows). Those sockets are
 * ESTABLISHED on this side and nowhere on the server's. The truth is read from the kernel: the server side's
 * completed connections.
 */
import { expect, it } from 'vitest';
import { runInNetns } from '../helpers/netns.js';
import { describeNeeding, need } from '../helpers/needs.js';
import type { RampResult } from '../../src/metrics/result.js';
import { testEngine } from '../helpers/engine.js';
import { runCli } from '../helpers/cli.js';
import { startTarget } from '../helpers/target.js';
import { NEEDS_SS } from '../helpers/kernel-count.js';

describeNeeding([need.netns, need.command('iptables'), need.command('python3'), need.command('taskset', 'util-linux')], 'handshake audit: connections the server never completed', () => {
  // With source addresses of its own, the audit reads only their sockets (as each worker process of a big run does).
  // Without ss, the native engine reads its sockets' TCP_INFO itself; the JS engine cannot, and says so.
  // With a hold of 2.5 s the native core's first look, in the hold's last 150 ms, finds them: the sockets are old
  // enough to tell there, and the audit starts from that look; after 1 s they are still too young, and looked at again.
  it.each([
    ['the kernel choosing the source address', '', false, '1s'],
    ['source addresses of its own', '--source 127.0.0.2-127.0.0.3', false, '1s'],
    ['no ss on its PATH', '', true, '1s'],
    ['a hold long enough for its last moments to tell', '', false, '2500ms'],
  ])('takes them out of the held count and the peak, and says so: %s', async (_, sources, noSs, hold) => {
    const probe = noSs ? 'env PATH=/nonexistent "$TCPPROBE_NODE" "$TCPPROBE_CLI"' : 'tcpprobe';
    const run = await runInNetns(
      String.raw`
# One CPU for everything here, so ACKs answering retransmitted SYN-ACKs are handled in turn: on two CPUs the
# server's kernel once completed 10 with a backlog of 8 (1 run in 24), and the audit counted one of them as never
# completed (most likely both ACKs found the queue not full, and one was still resent a SYN-ACK).
taskset -p -c 0 $$ > /dev/null
start_bg srv python3 test/fixtures/never-accept.py 8; wait_listening srv
P=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/srv.out")
# Five completed connections from another client: the queue (backlog 8, so 9) has room for four more.
start_bg pre python3 -c "import socket,time; s=[socket.create_connection(('127.0.0.1',$P)) for _ in range(5)]; print('listening on', flush=True); time.sleep(60)"
wait_listening pre
RULE="INPUT -p tcp --dport $P --tcp-flags SYN,ACK,FIN,RST,PSH ACK -j DROP"
iptables -A $RULE
start_bg probe ${probe} ramp --host 127.0.0.1 --port "$P" --max 8 --rate 1000 --hold ${hold} --json -q ${sources}
PROBE_PID=$!
# Once the probe's eight sockets are ESTABLISHED on its side, let the ACKs through again (before the server's
# first SYN-ACK retransmission, 1 s after the first).
for _ in $(seq 250); do
  [ "$(ss -tnH state established dport = :"$P" | wc -l)" -ge 13 ] && break
  sleep 0.02
done
iptables -D $RULE
sleep 1.5
echo "server-completed $(ss -tnH state established sport = :"$P" | wc -l)"
for _ in $(seq 300); do kill -0 "$PROBE_PID" 2>/dev/null || break; sleep 0.05; done
echo "RESULT $(cat "$T/probe.out")"
`,
      { timeoutMs: 40_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const completed = Number(/server-completed (\d+)/.exec(run.stdout)?.[1]);
    const result = JSON.parse(run.stdout.slice(run.stdout.indexOf('RESULT ') + 7)) as RampResult;
    if (noSs && testEngine === 'js') {
      // Nothing to audit with: the run ends after its hold, before the server's count is read, so no truth here.
      expect(result.handshakeAudit).toMatchObject({ ran: false, note: 'ss (iproute2) is not installed: it reads TCP_INFO' });
      return;
    }
    // The server completed five for the other client and the rest for the probe.
    const truth = completed - 5;
    expect(truth, run.stdout).toBeGreaterThan(0);
    expect(truth).toBeLessThan(8);
    expect(result.handshakeAudit, JSON.stringify(result.handshakeAudit) + run.stdout.slice(0, 200)).toMatchObject({ ran: true, neverCompleted: 8 - truth });
    expect(result.maxConcurrency).toBe(truth);
    expect(result.counters.neverCompleted).toBe(8 - truth);
  });

  it('finds handshakes answered with a SYN cookie and then dropped: no state left on the server, it answers a keepalive with RST', async () => {
    const run = await runInNetns(
      String.raw`
# Always answer with a SYN cookie: the server keeps no state for a handshake until its final ACK arrives.
sysctl -qw net.ipv4.tcp_syncookies=2
start_bg srv python3 test/fixtures/never-accept.py 1; wait_listening srv
P=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/srv.out")
RULE="INPUT -p tcp --dport $P --tcp-flags SYN,ACK,FIN,RST,PSH ACK -j DROP"
iptables -A $RULE
# 12 connects, 50 ms apart: the first ones' final ACKs are dropped (ESTABLISHED here, nothing on the server).
start_bg probe tcpprobe ramp --host 127.0.0.1 --port "$P" --max 12 --rate 20 --connect-timeout 1500ms --hold 1s --json -q
PROBE_PID=$!
for _ in $(seq 250); do
  [ "$(ss -tnH state established dport = :"$P" | wc -l)" -ge 6 ] && break
  sleep 0.02
done
iptables -D $RULE
# From here the queue (backlog 1: two) takes the next two; the rest find it full and their SYNs are dropped.
sleep 2.5
echo "server-completed $(ss -tnH state established sport = :"$P" | wc -l)"
for _ in $(seq 400); do kill -0 "$PROBE_PID" 2>/dev/null || break; sleep 0.05; done
echo "RESULT $(cat "$T/probe.out")"
`,
      { timeoutMs: 40_000 },
    );
    expect(run.code, run.stderr).toBe(0);
    const truth = Number(/server-completed (\d+)/.exec(run.stdout)?.[1]);
    const result = JSON.parse(run.stdout.slice(run.stdout.indexOf('RESULT ') + 7)) as RampResult;
    expect(truth, run.stdout).toBe(2);
    expect(result.maxConcurrency, JSON.stringify(result.handshakeAudit)).toBe(truth);
    expect(result.counters.neverCompleted).toBeGreaterThanOrEqual(6);
    expect(result.handshakeAudit?.neverCompleted).toBe(result.counters.neverCompleted);
  });

  it('names each socket by its address and port: one port on two source addresses is two sockets', async () => {
    // 200 ports: four source addresses share them, so many ports are in use on more than one address. Keyed by
    // port alone, the audit saw a third of the sockets (and could take back one for another). Not 100: the ramp
    // reaches the cap of 250 at up to 32,000/s and starts up to 150 more before serve turns the first away, and
    // 400 connections would take every address and port there is (client-limited, not this test's point).
    const run = await runInNetns(String.raw`
sysctl -q -w net.ipv4.ip_local_port_range="40000 40199"
start_bg serve tcpprobe serve --host 127.0.0.1 --port 5555 --max-conns 250 -q
wait_listening serve
tcpprobe ramp --host 127.0.0.1 --port 5555 --source 127.0.0.2-127.0.0.5 --workers 1 --hold 500ms --json -q
`);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const result = JSON.parse(run.stdout) as RampResult;
    expect(result.maxConcurrency).toBe(250);
    expect(result.handshakeAudit).toMatchObject({ ran: true, checked: 250, neverCompleted: 0 });
  });
});

// An answered keepalive is a segment in, like a resent SYN-ACK: sockets that held long enough to have one are no
// suspects (a million-connection ramp outlives the default 30 s), and one answered before a resend could show
// leaves nothing to tell. The server completed every handshake here: nothing may be taken back.
describeNeeding(testEngine === 'js' ? [NEEDS_SS] : [], 'handshake audit: keepalive answers are not resent SYN-ACKs', () => {
  it('does not suspect connections whose keepalive the server answered', async () => {
    const target = await startTarget();
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(target.port), '--max', '20', '--keepalive', '2s', '--hold', '3500ms', '--json', '-q']);
    const r = JSON.parse(run.stdout) as RampResult;
    expect(r.handshakeAudit).toMatchObject({ ran: true, checked: 20, suspects: 0, neverCompleted: 0 });
    expect(r.maxConcurrency).toBe(20);
  });

  it('says the check was not run under a keepalive shorter than a SYN-ACK resend takes to show', async () => {
    const target = await startTarget();
    const run = await runCli(['ramp', '--host', '127.0.0.1', '--port', String(target.port), '--max', '20', '--keepalive', '1s', '--hold', '2s']);
    expect(run.stdout).toContain('Handshake check not run: --keepalive 1s is answered before a resent SYN-ACK can show (1.4s), and looks the same.');
    expect(run.stdout).toMatch(/20/);
  });
});
