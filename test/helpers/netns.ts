/**
 * Run a bash script inside a fresh network namespace (and, when asked, a private mount namespace) that the test
 * creates with `unshare`. A fresh namespace has its own loopback, port range, sysctls and TIME_WAIT table, so a
 * test can shrink ip_local_port_range or open 30,000 connections without touching other tests or the machine;
 * with a private mount namespace it can also bind-mount its own /etc/hosts. Needs root: callers declare
 * `need.netns` (test/helpers/needs.ts).
 *
 * The script runs with `set -e` after a preamble that brings loopback up and defines:
 *   tcpprobe ARGS...            the built CLI
 *   start_bg NAME CMD ARGS...   start CMD in the background, stdout to $T/NAME.out, stderr to $T/NAME.err; its PID
 *                               is remembered and killed (by PID) when the script exits
 *   wait_listening NAME         wait (at most 15 s) until $T/NAME.out says "listening on"
 *   use_hosts                   bind-mount stdin as /etc/hosts (needs `mountNamespace`); unmounted on exit
 * $T is a temp dir removed on exit. The whole process group is killed if the script outlives its timeout.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { CLI, type CliRun } from './cli.js';

/** Where the repository root is: scripts run from there so relative fixture paths work. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const PREAMBLE = String.raw`
set -e
T=$(mktemp -d)
BG_PIDS=""
HOSTS_MOUNTED=""
cleanup() {
  for p in $BG_PIDS; do kill "$p" 2>/dev/null || true; done
  if [ -n "$HOSTS_MOUNTED" ]; then umount /etc/hosts 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
ip link set lo up
tcpprobe() { "$TCPPROBE_NODE" "$TCPPROBE_CLI" "$@"; }
start_bg() {
  local name="$1"; shift
  # The function tcpprobe would run in a background subshell whose PID is not node's, and killing that subshell
  # leaves node (and its namespace) alive; so call node directly: bash then execs it and $! is node's own PID.
  if [ "$1" = tcpprobe ]; then shift; set -- "$TCPPROBE_NODE" "$TCPPROBE_CLI" "$@"; fi
  "$@" > "$T/$name.out" 2> "$T/$name.err" &
  BG_PIDS="$BG_PIDS $!"
}
use_hosts() {
  # Never over the machine's own /etc/hosts: only inside a private mount namespace.
  if [ "$TCPPROBE_PRIVATE_MOUNTS" != 1 ]; then echo "use_hosts needs mountNamespace: true" >&2; return 1; fi
  cat > "$T/hosts"
  mount --bind "$T/hosts" /etc/hosts
  HOSTS_MOUNTED=1
}
wait_listening() {
  for _ in $(seq 150); do
    grep -q 'listening on' "$T/$1.out" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$1 did not start listening: $(cat "$T/$1.err")" >&2
  return 1
}
`;

export interface NetnsRunOptions {
  /** Hard bound: the process group is killed after this long. Default 60 s. */
  timeoutMs?: number;
  /** Also unshare the mount namespace, so the script may bind-mount files such as /etc/hosts. */
  mountNamespace?: boolean;
}

/** Run `script` (after the preamble) in a fresh network namespace; resolves with its exit code and output. */
export async function runInNetns(script: string, opts: NetnsRunOptions = {}): Promise<CliRun> {
  const flags = opts.mountNamespace === true ? ['-n', '-m'] : ['-n'];
  // A process group of its own, so a hung script and its background servers can all be killed by one PID.
  const child = spawn('unshare', [...flags, 'bash', '-c', `${PREAMBLE}\n${script}`], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      TCPPROBE_NODE: process.execPath,
      TCPPROBE_CLI: CLI,
      TCPPROBE_PRIVATE_MOUNTS: opts.mountNamespace === true ? '1' : '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, opts.timeoutMs ?? 60_000);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}
