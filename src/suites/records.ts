/**
 * Dataset files → records, for every loader: the file may be gzip-compressed (any name; the
 * gzip magic bytes decide), and hold JSONL (one JSON value per line) or one JSON array of
 * records (sanitized MBPP, LongBench v2). Numbers are read the way Python's `json` reads
 * them (src/util/lossless-json.ts): big integers exact, `NaN`/`Infinity` accepted.
 *
 * Problems are collected, not thrown one at a time: `collectRecords` runs a loader's
 * per-record function over every record and reports all invalid records at once (the first
 * MAX_LISTED), or, with the loader option `skip_invalid`, drops them and says which.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DsabenchError, type ErrorCode } from '../errors.js';
import { parsePlainJson, parsePythonJson } from '../util/lossless-json.js';

/** Where a record is: a JSONL line, or (in a JSON array) its index as a JSON-pointer prefix. */
export interface Where {
  file: string;
  line?: number;
  /** `/<index>` for a record of a JSON array (an array has no useful line numbers). */
  pointer?: string;
}

export interface RecordRow {
  value: unknown;
  /** 0-based position among the records (the default item id). */
  index: number;
  where: Where;
}

export type RecordFormat = 'jsonl' | 'array';

export interface ReadRecords {
  rows: RecordRow[];
  /** Records that are not JSON, one per bad line. */
  problems: DsabenchError[];
  format: RecordFormat;
}

export interface ReadRecordsOptions {
  /** Keep numbers as LosslessNumber (exact text) instead of JS values; for inputs handed to Python. */
  lossless?: boolean;
  code?: ErrorCode;
}

/** Most invalid records listed in one error. */
export const MAX_LISTED = 20;

/** The DsabenchError location of `field` (a key, or a path under the record) of a record. */
export function at(w: Where, field: string): { file: string; line?: number; field: string } {
  const f = `${w.pointer ?? ''}${field.startsWith('/') ? field : `/${field}`}`;
  return w.line === undefined ? { file: w.file, field: f } : { file: w.file, line: w.line, field: f };
}

/** Where as DsabenchError location (no field). */
export function place(w: Where): { file: string; line?: number; field?: string } {
  if (w.line !== undefined) return { file: w.file, line: w.line };
  return w.pointer === undefined ? { file: w.file } : { file: w.file, field: w.pointer };
}

/** A file's text: gunzipped when it starts with the gzip magic bytes, a UTF-8 BOM dropped. */
export function readDataText(file: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new DsabenchError('E_FILE_NOT_FOUND', `cannot read file: ${(e as Error).message}`, { file });
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new DsabenchError('E_ITEMS_INVALID', `the file starts like gzip but does not decompress (${(e as Error).message})`, { file });
    }
  }
  const text = buf.toString('utf8');
  // A BOM (Windows editors write one) is not part of the JSON.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Read and parse a record file (see the module comment). */
export function readRecords(file: string, opts: ReadRecordsOptions = {}): ReadRecords {
  return parseRecords(readDataText(file), file, opts);
}

function lineOfPosition(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Parse JSONL or a JSON array of records from text. */
export function parseRecords(text: string, file: string, opts: ReadRecordsOptions = {}): ReadRecords {
  const code = opts.code ?? 'E_ITEMS_INVALID';
  const parse = opts.lossless ? parsePythonJson : parsePlainJson;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let whole: unknown;
    let err: Error | undefined;
    try {
      whole = parse(text);
    } catch (e) {
      err = e as Error;
    }
    if (err === undefined && Array.isArray(whole)) {
      const rows = whole.map((value, index) => ({ value, index, where: { file, pointer: `/${index}` } }));
      return { rows, problems: [], format: 'array' };
    }
    // Not one JSON array: JSONL whose first record is an array, or a broken array. A first
    // line that is not JSON by itself means an array (pretty-printed or not) that is broken.
    const first = trimmed.split('\n', 1)[0]!.trim();
    let firstLineIsJson = true;
    try {
      parse(first);
    } catch {
      firstLineIsJson = false;
    }
    if (!firstLineIsJson && err !== undefined) {
      const m = /position (\d+)/.exec(err.message);
      const line = m ? lineOfPosition(text, Number(m[1])) : undefined;
      throw new DsabenchError(code, `not a valid JSON array of records (${err.message}); expected JSONL (one JSON object per line) or one JSON array`, line === undefined ? { file } : { file, line });
    }
  }
  const rows: RecordRow[] = [];
  const problems: DsabenchError[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    try {
      rows.push({ value: parse(raw), index: rows.length + problems.length, where: { file, line: i + 1 } });
    } catch (e) {
      problems.push(new DsabenchError(code, `line is not valid JSON (${(e as Error).message})`, { file, line: i + 1 }));
    }
  }
  // An empty file is no error here: each caller says what it expected (the loaders' "suite has no items").
  return { rows, problems, format: 'jsonl' };
}

/** The loader option `skip_invalid` (default false). */
export function skipInvalidOption(options: Record<string, unknown>): boolean {
  const v = options['skip_invalid'];
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new DsabenchError('E_OPTION', `expected true or false, got ${JSON.stringify(v)}`, { field: 'loader.options.skip_invalid' });
  return v;
}

/**
 * One problem as a short line: `line 3 /test: message` or `/12/test: message`, led by the
 * problem's own file (relative to `file`) when it is another (a file of a MATH tree).
 */
export function describeProblem(e: DsabenchError, file?: string): string {
  const other = e.file !== undefined && file !== undefined && e.file !== file ? relative(file, e.file) || e.file : '';
  const where = [other, e.line === undefined ? '' : `line ${e.line}`, e.field ?? ''].filter((s) => s !== '').join(' ');
  return where ? `${where}: ${e.message}` : e.message;
}

/** Every invalid record of a file (the first MAX_LISTED in the message). */
export class InvalidRecordsError extends DsabenchError {
  readonly problems: readonly DsabenchError[];

  /** `skippable`: the records come from a loader, whose option skip_invalid can leave them out. */
  constructor(file: string, problems: readonly DsabenchError[], skippable = true) {
    const shown = problems.slice(0, MAX_LISTED).map((p) => describeProblem(p, file));
    const more = problems.length > MAX_LISTED ? `; … and ${problems.length - MAX_LISTED} more` : '';
    const first = problems[0]!;
    const hint = skippable
      ? '. Fix them, or leave them out with the loader option skip_invalid ("loader": {"options": {"skip_invalid": true}} in suite.json, or <loader>:<file>?skip_invalid=true)'
      : '';
    super(
      first.code,
      `${problems.length} invalid record${problems.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}${hint}`,
      // The first problem's place, so an editor jumps to it (in a MATH tree, its own file).
      { file: first.file ?? file, ...(first.line !== undefined ? { line: first.line } : {}), ...(first.field !== undefined ? { field: first.field } : {}) },
    );
    this.problems = problems;
  }
}

export interface Collected<T> {
  items: T[];
  /** One line per record left out by skip_invalid. */
  skipped: string[];
}

/**
 * `make` over every record (null leaves a record out on purpose, e.g. another split).
 * DsabenchErrors from `make`, and records that are not JSON, are collected: thrown together
 * as an InvalidRecordsError, or with `skipInvalid` left out and listed in `skipped`.
 */
export function collectRecords<T>(read: ReadRecords, file: string, make: (row: RecordRow) => T | null, opts: { skipInvalid: boolean }): Collected<T> {
  if (read.rows.length === 0 && read.problems.length === 0) {
    throw new DsabenchError('E_ITEMS_INVALID', 'the file has no records (expected JSONL, one JSON object per line, or one JSON array of objects)', { file });
  }
  const problems: DsabenchError[] = [...read.problems];
  const items: T[] = [];
  for (const row of read.rows) {
    try {
      const v = make(row);
      if (v !== null) items.push(v);
    } catch (e) {
      if (!(e instanceof DsabenchError)) throw e;
      problems.push(e);
    }
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.length > 0 && !opts.skipInvalid) throw new InvalidRecordsError(file, problems);
  return { items, skipped: problems.map((p) => describeProblem(p, file)) };
}
