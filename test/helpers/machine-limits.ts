/** SystemLimits fixtures for the preflight's pure tests. */
import type { SystemLimits } from '../../src/preflight/system-limits.js';

/** This machine, as measured (see shared/README.md). */
export const MACHINE: SystemLimits = {
  openFilesSoft: 20000,
  openFilesHard: 20000,
  nrOpen: 1048576,
  fileMax: 2466183,
  filesAllocated: 414,
  localPortRange: { low: 32768, high: 60999 },
  reservedPortsInRange: 0,
  tcpTwReuse: 2,
  somaxconn: 4096,
  tcpMaxSynBacklog: 2048,
  conntrackMax: null,
  conntrackCount: null,
  timeWaitSockets: 0,
  openFds: 20,
};
