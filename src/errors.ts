/**
 * Error classes with a stable `code`, so callers (and the CLI's single exit-code map)
 * branch on codes, never on message text.
 *
 * - UsageError / InputError: bad flags, bad suite files, bad tensors → exit 2.
 * - RunError: the run could not complete (I/O failure, pool crash) → exit 1.
 * A failed *attempt* is never an exception: it is a value in its record (`error`).
 */
export type ErrorCode =
  // usage / input (exit 2)
  | 'E_USAGE'
  | 'E_SUITE_NOT_FOUND'
  | 'E_SUITE_INVALID'
  | 'E_ITEMS_INVALID'
  | 'E_CONFIG_INVALID'
  | 'E_PROVIDER_SPEC'
  | 'E_SCORER_UNKNOWN'
  | 'E_INPUT_INVALID'
  | 'E_FILE_NOT_FOUND'
  | 'E_TENSOR_INVALID'
  | 'E_SHAPE'
  | 'E_DTYPE'
  | 'E_INDEX'
  | 'E_OPTION'
  | 'E_CHECKPOINT'
  | 'E_PROFILE'
  | 'E_UNSUPPORTED'
  // run failures (exit 1)
  | 'E_RUN'
  | 'E_IO'
  | 'E_SANDBOX'
  | 'E_NATIVE';

export class DsabenchError extends Error {
  readonly code: ErrorCode;
  /** Where the problem is: a file, optionally a line and a field (JSON pointer). */
  readonly file?: string;
  readonly line?: number;
  readonly field?: string;

  constructor(
    code: ErrorCode,
    message: string,
    where: { file?: string; line?: number; field?: string; cause?: unknown } = {},
  ) {
    super(message, where.cause === undefined ? undefined : { cause: where.cause });
    this.name = 'DsabenchError';
    this.code = code;
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
  }
}

/** Codes that mean "the user gave us something wrong" (CLI exit 2). */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'E_USAGE', 'E_SUITE_NOT_FOUND', 'E_SUITE_INVALID', 'E_ITEMS_INVALID', 'E_CONFIG_INVALID',
  'E_PROVIDER_SPEC', 'E_SCORER_UNKNOWN', 'E_INPUT_INVALID', 'E_FILE_NOT_FOUND',
  'E_TENSOR_INVALID', 'E_SHAPE', 'E_DTYPE', 'E_INDEX', 'E_OPTION', 'E_CHECKPOINT',
  'E_PROFILE', 'E_UNSUPPORTED',
]);

/** Exit codes of every command: 0 done, 1 could not complete, 2 bad usage or input. */
export function exitCodeFor(err: unknown): 1 | 2 {
  if (err instanceof DsabenchError && USAGE_CODES.has(err.code)) return 2;
  return 1;
}

/** "file:line: field: message" — the place first, so editors can jump to it. */
export function formatError(err: unknown): string {
  if (err instanceof DsabenchError) {
    const place = [err.file, err.line === undefined ? undefined : String(err.line)]
      .filter((p): p is string => p !== undefined)
      .join(':');
    const field = err.field ? ` ${err.field}:` : '';
    return `${err.code}: ${place ? place + ':' : ''}${field} ${err.message}`.replace(/\s+/g, ' ').trim();
  }
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}
