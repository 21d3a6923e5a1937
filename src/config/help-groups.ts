/**
 * The headings of --help's groups of flags (commander's optionsGroup), one per concern, shared by every command
 * that registers flags (cli/ and fleet/fleet-options.ts). Groups show in the order their first flag was added.
 */
export const HELP_GROUPS = {
  target: 'Target:',
  connections: 'Connections:',
  service: 'Proof of service:',
  tls: 'TLS:',
  schedule: 'Schedule:',
  stop: 'Stop:',
  hold: 'Hold:',
  assertions: 'Assertions:',
  gate: 'History and regression gate:',
  output: 'Output:',
  fleet: 'Fleet:',
  /** serve */
  listen: 'Listen:',
  behaviour: 'Behaviour:',
  processes: 'Processes:',
  /** agent */
  allow: 'Allowed targets:',
} as const;

