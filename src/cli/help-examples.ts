/**
 * The "Examples" section of each command's --help: a few command lines a user can adapt, each with what it does.
 * Every flag used here is checked against the command's own options in test/integration/outcomes-cli.test.ts.
 */

export interface HelpExample {
  /** The command line, starting with "tcpprobe COMMAND" (an environment assignment may come first). */
  line: string;
  /** What it does, in a few words. */
  what: string;
}

export const HELP_EXAMPLES: Readonly<Record<string, readonly HelpExample[]>> = {
  tcpprobe: [
    { line: 'tcpprobe demo', what: 'see it work: ramp against a built-in target capped at 1,000' },
    { line: 'tcpprobe ramp --host db.internal --port 5432', what: 'how many concurrent connections does it hold?' },
    { line: 'tcpprobe hold --host api.internal --port 443 -c 500 --duration 30s', what: 'hold 500 open for 30 s' },
    { line: 'tcpprobe doctor', what: "this machine's own limits, before blaming a server" },
  ],
  ramp: [
    { line: 'tcpprobe ramp --host 127.0.0.1 --port 6379', what: 'find the cap: slow start from 2,000 connections/s, care near the edge' },
    { line: 'tcpprobe ramp --port 6379 --reconnect', what: 'reopen held connections the server closes; report the count sustained and the churn' },
    { line: 'tcpprobe ramp --host db.internal --port 5432 --max 10k --max-duration 2m', what: 'does it hold at least 10,000?' },
    { line: "tcpprobe ramp --port 6379 --send 'PING\\r\\n' --expect +PONG", what: 'count only connections the server answers' },
    { line: 'tcpprobe ramp --port 6379 --json -q --out result.json', what: 'for scripts: the document on stdout and in a file' },
    { line: 'tcpprobe ramp --port 6379 -q --save --baseline last --max-regression 10%', what: 'nightly: save the run, exit 7 on a drop over 10%' },
    { line: 'TCPPROBE_REDIS=redis://10.0.0.5:6379/0 tcpprobe ramp --agents 3 --redis-password-file pw --port 5432', what: 'a fleet run' },
  ],
  hold: [
    { line: 'tcpprobe hold --port 8080 -c 500 --duration 30s', what: 'open 500, 10 ms apart, keep them 30 s, live stats' },
    {
      line: 'tcpprobe hold --port 8080 -c 500 --delay 0 --duration 30s --assert-established 500 --within 1s --assert-held',
      what: 'a CI gate: exit 5 or 6 when it falls short',
    },
    { line: 'tcpprobe hold --port 8080 -c 50 --reconnect --verbose', what: 'reopen what the server closes, one line per event' },
  ],
  serve: [
    { line: "tcpprobe serve --port 7000 --max-conns 1000 --over-limit close --over-limit-message '-ERR max clients\\r\\n'", what: 'a target capped at 1,000' },
    { line: 'tcpprobe serve --port 7000 --close-after 5s', what: 'a server that closes every connection after 5 s' },
  ],
  demo: [
    { line: 'tcpprobe demo', what: 'ramp against a built-in target capped at 1,000' },
    { line: 'tcpprobe demo --max-conns 200 --over-limit refuse', what: 'a target that refuses past 200' },
  ],
  doctor: [
    { line: 'tcpprobe doctor', what: "this machine's limits" },
    { line: 'tcpprobe doctor --host db.internal --port 5432 --connections 50k', what: 'can this machine hold 50,000 to that target?' },
  ],
  compare: [
    { line: 'tcpprobe compare before.json after.json', what: 'what changed between two ramps' },
    { line: 'tcpprobe compare before.json after.json --json -q', what: 'the comparison as JSON only' },
  ],
  history: [
    { line: 'tcpprobe history', what: 'every saved run, with the trend of the max' },
    { line: 'tcpprobe history --target db.internal:5432 --last 10', what: 'the last 10 runs against one target' },
  ],
  audit: [
    { line: 'tcpprobe audit nightly.yaml', what: 'ramp every target of the file in turn; exit with the worst outcome' },
    {
      line: 'tcpprobe audit /etc/tcpprobe/nightly.yaml -q --history /var/lib/tcpprobe/history.jsonl --openmetrics /var/lib/node_exporter/textfile_collector/tcpprobe.prom --html /var/www/capacity.html',
      what: 'the nightly job: history, textfile and report',
    },
  ],
  report: [
    { line: 'tcpprobe report --history /var/lib/tcpprobe/history.jsonl --html capacity.html', what: 'the HTML report from the history alone' },
  ],
  agent: [
    {
      line: 'TCPPROBE_REDIS=rediss://tcpprobe@redis.internal:6380/0 tcpprobe agent --redis-password-file /etc/tcpprobe/redis-password --allow-target 10.0.1.0/24:5432',
      what: 'serve fleet runs against 10.0.1.0/24 port 5432',
    },
  ],
};

/** The section for `command`, or "" when it has none. */
export function examplesHelp(command: string): string {
  const examples = HELP_EXAMPLES[command] ?? [];
  if (examples.length === 0) return '';
  return ['', 'Examples:', ...examples.flatMap((e) => [`  ${e.line}`, `      ${e.what}`])].join('\n');
}
