/**
 * The small error hierarchy of tcpprobe. Every error a user can cause or meet carries a stable code;
 * `src/metrics/exit-codes.ts` maps codes to exit statuses, and only the CLI entry turns them into an exit.
 */

/** Stable codes; the CLI maps each to an exit status. */
export type ErrorCode =
  | 'usage' // bad flags or values
  | 'input' // a file the user named cannot be read or parsed
  | 'unresolvable' // the host name does not resolve
  | 'redis' // the coordination store cannot be reached or refuses us
  | 'internal';

export class ProbeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ProbeError';
    this.code = code;
  }
}

/** Bad flags or values. `problems` lists every problem found, one per flag, so a user fixes them in one go. */
export class UsageError extends ProbeError {
  readonly problems: readonly string[];
  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super('usage', list.join('; '));
    this.name = 'UsageError';
    this.problems = list;
  }
}

export class InputError extends ProbeError {
  constructor(message: string) {
    super('input', message);
    this.name = 'InputError';
  }
}

/** Node's system errors carry `code` and `errno`; this narrows `unknown` to them without `any`. */
export interface SystemError extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
}

export function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as SystemError).code === 'string';
}
