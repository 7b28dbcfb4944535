import { readFileSync } from 'node:fs';
import { DsabenchError, type ErrorCode } from '../errors.js';

export interface JsonlLine<T = unknown> {
  /** 1-based line number in the file, for error messages. */
  line: number;
  /** 0-based index among non-blank lines (default item id of files without ids). */
  index: number;
  value: T;
}

/**
 * Parse a JSONL file. Blank lines are skipped; a line that is not JSON throws with the
 * file and line. With `tolerateTruncatedTail`, a last line without its newline that does
 * not parse is dropped (a record cut by a kill mid-write: written whole or not at all).
 */
export function readJsonl(
  file: string,
  opts: { code?: ErrorCode; tolerateTruncatedTail?: boolean; allowEmpty?: boolean } = {},
): JsonlLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DsabenchError('E_FILE_NOT_FOUND', `cannot read file: ${(e as Error).message}`, { file });
  }
  return parseJsonl(text, file, opts);
}

export function parseJsonl(
  text: string,
  file: string,
  opts: { code?: ErrorCode; tolerateTruncatedTail?: boolean; allowEmpty?: boolean } = {},
): JsonlLine[] {
  const code = opts.code ?? 'E_INPUT_INVALID';
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  const out: JsonlLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    try {
      out.push({ line: i + 1, index: out.length, value: JSON.parse(raw) });
    } catch (e) {
      const isTail = i === lines.length - 1 && !endsWithNewline;
      if (isTail && opts.tolerateTruncatedTail) break;
      throw new DsabenchError(code, `line is not valid JSON (${(e as Error).message})`, { file, line: i + 1 });
    }
  }
  if (out.length === 0 && !opts.allowEmpty) {
    throw new DsabenchError(code, 'file has no JSON lines (expected one JSON object per line)', { file });
  }
  return out;
}
