/**
 * SIGINT/SIGTERM: the first asks the run to stop (it closes everything and reports the partial result); a second
 * one exits at once. Exit codes: 130 for SIGINT, 143 for SIGTERM (see exit-codes.ts).
 */
import { EXIT } from '../metrics/exit-codes.js';

export interface StopSignal {
  controller: AbortController;
  /** Which signal stopped the run, if one did. */
  readonly received: NodeJS.Signals | null;
  dispose(): void;
}

export function trapStopSignals(hardExit: (code: number) => void): StopSignal {
  const controller = new AbortController();
  let received: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (received !== null) {
      hardExit(sig === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint);
      return;
    }
    received = sig;
    process.stderr.write(`\n${sig}: stopping, closing connections (again to exit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    controller,
    get received() {
      return received;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
