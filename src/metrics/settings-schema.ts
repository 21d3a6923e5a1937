/**
 * The settings a ramp or a hold ran with, as its result document records them (`settings`): the validated options
 * that shape the measurement (schedule, bounds, timeouts, proof of service, TLS, sources, workers, engine), so a
 * comparison can say which of them differ (compare/settings-diff.ts). Built from the frozen options by one typed
 * function per command (config/run-settings.ts). Output choices (--json, --out, --quiet, --chart) are not
 * settings of the measurement and are not recorded.
 *
 * Loaded only by the schema build and tests: the CLI imports the types (`import type`), never TypeBox itself.
 */
import { Type } from 'typebox';
import { closed, count, described, figure, flag, nullable, text, wholeMs } from './schema-kit.js';

/** A socket layer: the native core or Node's net/tls. */
export const EngineNameSchema = Type.Enum(['native', 'js'], {
  description: 'a socket layer: "native" (the C core, epoll) or "js" (Node\'s net/tls)',
});

/** A reply matcher for proof of service (--expect, --reject). */
export const MatcherSchema = Type.Union(
  [
    closed(
      {
        kind: Type.Literal('text', { description: 'the reply must contain this text' }),
        text: text('the text, escapes resolved'),
      },
      'a text the reply must contain',
    ),
    closed(
      {
        kind: Type.Literal('regex', { description: 'the reply must match this regular expression' }),
        source: text('the regular expression, as JavaScript reads it'),
        flags: text('its flags (e.g. "i")'),
      },
      'a regular expression the reply must match',
    ),
  ],
  { description: 'a matcher for the bytes a server sends (--expect, --reject)' },
);

/** What --send sent, by its length and hash: two payloads are told apart without recording either. */
export const SendSettingSchema = closed(
  {
    bytes: count('its length, in bytes'),
    sha256: text('the SHA-256 of the bytes, in hex'),
  },
  'the bytes sent after connecting (--send), by length and hash',
);

/** The TLS settings of a run (--tls and its flags); the CA certificates themselves are not recorded. */
export const TlsSettingSchema = closed(
  {
    servername: nullable(text('the SNI server name'), "--servername: the SNI name sent; null: the host's"),
    insecure: flag('--insecure: any certificate was accepted'),
    ca: flag('--ca: extra CA certificates were trusted'),
  },
  'the TLS settings of the run',
);

/** The settings every probing command shares: where and how it connects. */
const probeSettingsProperties = {
  spreadAddresses: flag('--spread-addresses: connections spread over every address the host resolved to, instead of the first'),
  sources: nullable(
    Type.Array(text('a source address (IPv4 or IPv6)')),
    '--source: the source addresses given; null: tcpprobe chose them (the result\'s `sourceAddresses` says which it bound)',
  ),
  maxInflight: count('--max-inflight: connects started but not finished at once, at most (connections)'),
  connectTimeoutMs: wholeMs('--connect-timeout: how long one connect (and TLS handshake) may take, in ms'),
  keepAliveMs: wholeMs('--keepalive: the TCP keepalive initial delay, in ms; 0: keepalive off'),
  settleMs: wholeMs('--settle: an open connection counts as held after this long without being closed, in ms'),
  send: nullable(SendSettingSchema, '--send: what was sent after connecting, by its length and hash; null: nothing was sent'),
  expect: nullable(MatcherSchema, '--expect: the reply that proves the server serves a connection; null: none asked for'),
  reject: nullable(MatcherSchema, '--reject: a reply that marks a connection as turned away; null: none'),
  expectTimeoutMs: nullable(
    wholeMs('how long to wait for the expected reply, in ms'),
    '--expect-timeout: how long a connection waits for the --expect reply, in ms; null without --expect',
  ),
  tls: nullable(TlsSettingSchema, '--tls: connections were TLS, with these settings; null: plain TCP'),
  engine: described(EngineNameSchema, 'the socket layer the run was set to use (--engine, or the choice made for it)'),
  workers: nullable(count('worker processes'), '--workers: worker processes asked for; null: as many as the open-files limit needs'),
};

/** How a ramp adds connections: the adaptive default, a fixed rate, or steps. */
export const RampScheduleSettingSchema = Type.Union(
  [
    closed(
      {
        kind: Type.Literal('adaptive', { description: 'the default: slow start, then care near the edge' }),
        initialRatePerSec: figure('the first rate, in connections/s'),
      },
      'the adaptive schedule (no --rate or --step)',
    ),
    closed(
      {
        kind: Type.Literal('rate', { description: 'a fixed rate' }),
        ratePerSec: figure('--rate: connections/s'),
      },
      'a fixed rate (--rate)',
    ),
    closed(
      {
        kind: Type.Literal('step', { description: 'steps of connections' }),
        size: count('--step: connections added per step'),
        intervalMs: wholeMs('--step-interval: time between steps, in ms'),
      },
      'steps (--step, --step-interval)',
    ),
  ],
  { description: 'how the ramp added connections' },
);

export const RampRunSettingsSchema = closed(
  {
    ...probeSettingsProperties,
    schedule: RampScheduleSettingSchema,
    max: nullable(count('connections'), '--max: the ramp stopped there at most, in connections; null: no --max'),
    maxDurationMs: wholeMs('--max-duration: the bound on the whole run, hold included, in ms (the default when not given)'),
    maxDurationGiven: flag('true when --max-duration was given; false: the default (an adaptive ramp sizes it to the machine)'),
    plateauMs: wholeMs('--plateau: how long the held count may stay flat while attempts go on before the ramp stops, in ms'),
    holdMs: wholeMs('--hold: how long the population was held at the end, in ms'),
    until: Type.Enum(['confirm', 'first-failure'], { description: '--until: stop after confirming the limit, or at the first failure' }),
    confirm: Type.Optional(flag('--confirm: present (true) when a found limit was re-run after the search (the confirmation stage)')),
    reconnect: flag('--reconnect: held connections the server closed were reopened'),
    reconnectDelayMs: nullable(wholeMs('the delay before a reconnect, in ms'), '--reconnect-delay, in ms; null without --reconnect'),
  },
  'the settings the ramp ran with: the validated flags that shape the measurement',
);

export const HoldRunSettingsSchema = closed(
  {
    ...probeSettingsProperties,
    connections: count('--connections: connections opened and held'),
    delayMs: wholeMs('--delay: time between two connects, in ms; 0: all at once'),
    durationMs: nullable(wholeMs('the hold\'s length, in ms'), '--duration, in ms; null: until the server closed every connection'),
    maxDurationMs: wholeMs('--max-duration: the bound on the whole run, in ms'),
    reconnect: flag('--reconnect: failed and closed connections were reopened'),
    reconnectDelayMs: nullable(wholeMs('the delay before a reconnect, in ms'), '--reconnect-delay, in ms; null without --reconnect'),
    assertEstablished: nullable(
      closed(
        {
          count: count('--assert-established: connections that had to be open'),
          withinMs: wholeMs('--within: how soon, in ms'),
        },
        'the established-within assertion',
      ),
      '--assert-established N --within T; null: not asserted',
    ),
    assertHeld: flag('--assert-held: every connection had to stay open for --duration'),
  },
  'the settings the hold ran with: the validated flags that shape the measurement',
);
