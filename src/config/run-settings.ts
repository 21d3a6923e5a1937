/**
 * The settings a run records in its result document (`settings`, metrics/settings-schema.ts): the validated
 * options that shape the measurement, one typed function per command, so `compare` and `ramp --baseline` can say
 * which of them differ between two runs. Pure: the same options always give the same record. Output choices
 * (--json, --out, --quiet, --chart) are not recorded; neither are the bytes of --send or --ca (a hash and a flag).
 */
import { createRequire } from 'node:module';
import type { HoldRunSettings, RampRunSettings } from '../metrics/result.js';
import type { Stage } from './schedule.js';
import type { ConnectionOptions, TargetOptions } from './probe-options.js';
import type { HoldOptions } from './hold-options.js';
import type { RampOptions } from './ramp-options.js';

// node:crypto and the dozen modules it loads cost about 3 ms of every run's start; only --send needs a hash.
const require = createRequire(import.meta.url);

/** The hex SHA-256 of `bytes`. */
function sha256(bytes: Uint8Array): string {
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(bytes).digest('hex');
}

/** What every probing command records: where and how it connects. */
function probeSettings(target: TargetOptions, connection: ConnectionOptions) {
  const service = connection.service;
  const send = service?.send ?? null;
  return {
    spreadAddresses: target.spreadAddresses,
    sources: target.sources === null ? null : [...target.sources],
    maxInflight: connection.maxInflight,
    connectTimeoutMs: connection.connectTimeoutMs,
    keepAliveMs: connection.keepAliveMs,
    settleMs: connection.settleMs,
    send: send === null ? null : { bytes: send.byteLength, sha256: sha256(send) },
    expect: service?.expect ?? null,
    reject: service?.reject ?? null,
    expectTimeoutMs: service?.expect ? service.expectTimeoutMs : null,
    tls: connection.tls === null ? null : { servername: connection.tls.servername, insecure: connection.tls.insecure, ca: connection.tls.ca !== null },
    engine: connection.engine.name,
    workers: connection.workers,
  };
}

/** The schedule as a setting: the adaptive default (from its first rate), a fixed rate, or steps. */
function scheduleSetting(o: Pick<RampOptions, 'stage' | 'adaptive'>): RampRunSettings['schedule'] {
  if (o.adaptive !== null) return { kind: 'adaptive', initialRatePerSec: o.adaptive.initialRatePerSec };
  const stage: Stage = o.stage;
  return stage.kind === 'rate' ? { kind: 'rate', ratePerSec: stage.ratePerSec } : { kind: 'step', size: stage.size, intervalMs: stage.intervalMs };
}

/** The settings a ramp records, from its validated options. */
export function rampRunSettings(o: Readonly<RampOptions>): RampRunSettings {
  return {
    ...probeSettings(o.target, o.connection),
    schedule: scheduleSetting(o),
    max: o.max,
    maxDurationMs: o.maxDurationMs,
    maxDurationGiven: o.maxDurationGiven,
    plateauMs: o.plateauMs,
    holdMs: o.holdMs,
    until: o.until,
    ...(o.confirm ? { confirm: true } : {}),
    reconnect: o.reconnect.enabled,
    reconnectDelayMs: o.reconnect.enabled ? o.reconnect.delayMs : null,
  };
}

/** The settings a hold records, from its validated options. */
export function holdRunSettings(o: Readonly<HoldOptions>): HoldRunSettings {
  return {
    ...probeSettings(o.target, o.connection),
    connections: o.connections,
    delayMs: o.delayMs,
    durationMs: o.durationMs,
    maxDurationMs: o.maxDurationMs,
    reconnect: o.reconnect,
    reconnectDelayMs: o.reconnect ? o.reconnectDelayMs : null,
    assertEstablished: o.assertEstablished === null ? null : { ...o.assertEstablished },
    assertHeld: o.assertHeld,
  };
}
