/**
 * The library entry: `import { ramp, hold } from 'tcpprobe'`. The same run cores the CLI calls (runRamp,
 * runHold, src/run/), with the same validation: options are the CLI's flags in camelCase, so one bad value is one
 * UsageError naming the flag. Nothing is printed; a run resolves to the same result document `--json` prints.
 */
import { runHold } from './run/hold.js';
import { runRamp } from './run/ramp.js';
import { readHoldOptions } from './config/hold-options.js';
import { HOLD_KEYS, LIBRARY_RAMP_KEYS, readCamel } from './config/camel-flags.js';
import { readRampOptions } from './config/ramp-options.js';
import type { Progress } from './controller/run-context.js';
import type { HoldResult, RampResult } from './metrics/result.js';

export { ProbeError, UsageError, InputError } from './errors.js';
export type { ErrorCode } from './errors.js';
export type { Progress } from './controller/run-context.js';
export type {
  AssertionOutcome,
  FailureSummary,
  GateRecord,
  HoldResult,
  HoldVerdictKind,
  ProbeResult,
  RampResult,
  RampVerdictKind,
  TimelineSample,
  Verdict,
} from './metrics/result.js';
export { EXIT, exitCodeForVerdict, exitCodeOfRun, OUTCOME_TABLE } from './metrics/exit-codes.js';

/** A duration as the CLI takes it, with its unit ("500ms", "10s", "1m30s"), or 0: a bare number is refused. */
export type Duration = string | 0;
/** A count: a number, or text as the CLI takes it ("5k"). */
export type Count = number | string;

/** Options every probe takes: where to connect and how (the CLI's shared flags). */
export interface ProbeInput {
  /** Target host (default "localhost"). */
  host?: string;
  port: number;
  /** As --name: the target's name in the result (`target.name`) and the history (default: known by host:port). */
  name?: string;
  connectTimeout?: Duration;
  keepalive?: Duration;
  maxInflight?: Count;
  /** An established connection counts as held after this long open (default 100ms). */
  settle?: Duration;
  /** Local source addresses: "A,B" or a range "127.0.0.2-127.0.0.40". */
  source?: string;
  spreadAddresses?: boolean;
  /** Bytes to send after connecting (escapes such as \r\n, or @FILE). */
  send?: string;
  /** Held only after a reply containing this text, or matching /re/. */
  expect?: string;
  reject?: string;
  expectTimeout?: Duration;
  tls?: boolean;
  servername?: string;
  insecure?: boolean;
  /** A CA certificate file (PEM). */
  ca?: string;
  workers?: Count;
  /** The socket layer: 'native' (the default where the addon built) or 'js'; TLS runs on 'js' only. */
  engine?: 'native' | 'js';
}

export interface RampInput extends ProbeInput {
  rate?: Count;
  step?: Count;
  stepInterval?: Duration;
  max?: Count;
  maxDuration?: Duration;
  plateau?: Duration;
  hold?: Duration;
  until?: 'confirm' | 'first-failure';
  /** As --confirm: after a found limit, re-run its edge; the result's `confirmation` (default off). */
  confirm?: boolean;
  /** Reopen held connections the server closes (default off). */
  reconnect?: boolean;
  reconnectDelay?: Duration;
  /** As --assert-capacity N: the result's assertions, exitCode and passed say whether at least N were held. */
  assertCapacity?: Count;
}

export interface HoldInput extends ProbeInput {
  connections?: Count;
  delay?: Duration;
  duration?: Duration;
  maxDuration?: Duration;
  reconnect?: boolean;
  reconnectDelay?: Duration;
  /** { count, within }: as --assert-established N --within T. */
  assertEstablished?: { count: Count; within: Duration };
  assertHeld?: boolean;
}

export interface RunOptions {
  /** Abort the run: it stops opening, closes everything and resolves with an "interrupted" result. */
  signal?: AbortSignal;
  /** Progress samples while the run goes on. */
  onProgress?: (p: Progress) => void;
}

/**
 * Find how many concurrent connections the server holds: the same ramp as `tcpprobe ramp`.
 * @throws UsageError for bad options (before anything connects), ProbeError for a name that does not resolve
 */
export async function ramp(input: RampInput, run: RunOptions = {}): Promise<RampResult> {
  const options = readCamel(input, LIBRARY_RAMP_KEYS, readRampOptions);
  const onProgress = run.onProgress;
  const { result, close, finish } = await runRamp(options, run.signal ?? new AbortController().signal, {
    onProgress: onProgress === undefined ? undefined : (p) => onProgress(p),
  });
  await close();
  await finish(0);
  return result;
}

/**
 * Open connections with a delay between each and keep them: the same hold as `tcpprobe hold`, assertions
 * included (see result.assertions).
 * @throws UsageError for bad options (before anything connects), ProbeError for a name that does not resolve
 */
export async function hold(input: HoldInput, run: RunOptions = {}): Promise<HoldResult> {
  const options = readCamel(input, HOLD_KEYS, readHoldOptions);
  const onProgress = run.onProgress;
  return runHold(options, run.signal ?? new AbortController().signal, {
    onProgress: onProgress === undefined ? undefined : (p) => onProgress(p),
  });
}
