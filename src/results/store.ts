/**
 * Results store of one run: results/<run-id>/
 *   run.json       manifest (schemas/run.schema.json), rewritten atomically on each status change
 *   samples.jsonl  one AttemptRecord per line, appended with ONE write call as each attempt
 *                  ends (no fsync per line: a kill loses at most the tail, never splits a line
 *                  that resume would keep)
 *   summary.json   RunSummary (schemas/summary.schema.json)
 *   results.csv    one row per attempt (csv-stringify)
 *
 * The one writer and the one reader of each of these files (load.ts reads a run folder back
 * for the reports through them, tolerating what it can recompute).
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { DsabenchError } from '../errors.js';
import type { AttemptRecord, RunManifest, RunSummary } from '../types.js';

export const FILES = {
  manifest: 'run.json',
  samples: 'samples.jsonl',
  summary: 'summary.json',
  csv: 'results.csv',
} as const;

/** Identity of an attempt: finished keys are skipped on resume. */
export function attemptKey(r: Pick<AttemptRecord, 'suite' | 'item_id' | 'provider' | 'attempt'>): string {
  return JSON.stringify([r.suite, r.item_id, r.provider, r.attempt]);
}

/** Write a file via a temp file + rename, so readers never see half of it. */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

export function readManifest(dir: string): RunManifest {
  const file = join(dir, FILES.manifest);
  if (!existsSync(file)) throw new DsabenchError('E_FILE_NOT_FOUND', 'no run.json here: expected a run folder written by dsabench run', { file });
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunManifest;
  } catch (err) {
    throw new DsabenchError('E_INPUT_INVALID', `run.json is not valid JSON (${(err as Error).message})`, { file, cause: err });
  }
}

/**
 * The one reader of summary.json (a run folder's, or one given by path): its JSON, unchecked
 * (load.ts checks what the reports need). Throws naming the file when it cannot be read or
 * is not JSON.
 */
export function readSummaryFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DsabenchError('E_FILE_NOT_FOUND', `cannot read file: ${(e as Error).message}`, { file });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new DsabenchError('E_INPUT_INVALID', `not valid JSON (${(e as Error).message})`, { file });
  }
}

/** One line of samples.jsonl: its JSON value (unchecked) and 1-based line number. */
export interface SampleLine {
  line: number;
  value: unknown;
}

/**
 * The one parser of samples.jsonl (the runner, the merge, the reports and the cost study all
 * read through it). Blank lines are skipped; a line that is not JSON throws with the file and
 * line, except a truncated last line (an attempt cut by a kill mid-write: no newline after it),
 * which is dropped and, with `repair`, cut off the file so appends start on a fresh line. A
 * missing file has no lines.
 */
export function readSampleLines(file: string, opts: { repair?: boolean } = {}): SampleLine[] {
  if (!existsSync(file)) return [];
  const buf = readFileSync(file);
  let end = buf.length;
  const text = buf.toString('utf8');
  const lines: SampleLine[] = [];
  let start = 0;
  let lineNo = 0;
  while (start < text.length) {
    lineNo++;
    const nl = text.indexOf('\n', start);
    const last = nl < 0;
    const raw = text.slice(start, last ? text.length : nl);
    if (raw.trim() !== '') {
      try {
        lines.push({ line: lineNo, value: JSON.parse(raw) as unknown });
      } catch (err) {
        if (!last) throw new DsabenchError('E_INPUT_INVALID', `samples line is not valid JSON (${(err as Error).message})`, { file, line: lineNo });
        end = Buffer.byteLength(text.slice(0, start));
      }
    }
    if (last) break;
    start = nl + 1;
  }
  if (opts.repair) {
    if (end < buf.length) {
      const fd = openSync(file, 'r+');
      try {
        ftruncateSync(fd, end);
      } finally {
        closeSync(fd);
      }
    } else if (buf.length > 0 && buf[buf.length - 1] !== 0x0a) {
      // A whole last record without its newline: finish the line.
      writeFileSync(file, '\n', { flag: 'a' });
    }
  }
  return lines;
}

/**
 * The run's attempt records (readSampleLines, then): later duplicates of a key (should not
 * happen) are ignored, the first record wins.
 */
export function readSamples(file: string, opts: { repair?: boolean } = {}): AttemptRecord[] {
  const records: AttemptRecord[] = [];
  const seen = new Set<string>();
  for (const { value } of readSampleLines(file, opts)) {
    if (!value) continue; // a `null` line holds no record
    const rec = value as AttemptRecord;
    const k = attemptKey(rec);
    if (!seen.has(k)) {
      seen.add(k);
      records.push(rec);
    }
  }
  return records;
}

/** Appends attempt records to samples.jsonl: one write call per record. */
export class SampleWriter {
  private fd: number | null;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'a');
  }

  append(rec: AttemptRecord): void {
    if (this.fd === null) throw new DsabenchError('E_IO', 'samples file already closed', { file: this.file });
    writeSync(this.fd, JSON.stringify(rec) + '\n');
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

export function writeSummary(dir: string, summary: RunSummary): void {
  writeJson(join(dir, FILES.summary), summary);
}

const CSV_COLUMNS = [
  'run_id', 'suite', 'item_id', 'provider', 'attempt', 'value', 'pass', 'error',
  'prompt_tokens', 'completion_tokens', 'reasoning_tokens', 'ttft_ms', 'tpot_ms', 'e2e_ms', 'cost', 'cached',
  // Appended (older readers index columns by position): tries, time across tries, usage not reported, why unsupported.
  'tries', 'total_ms', 'usage_unknown', 'unsupported',
] as const;

/** results.csv: one row per attempt, flat columns for spreadsheets and pandas. */
export function writeResultsCsv(dir: string, records: readonly AttemptRecord[]): void {
  const rows = records.map((r) => [
    r.run_id, r.suite, r.item_id, r.provider, r.attempt, r.score.value, String(r.score.pass), r.error ?? '',
    r.usage?.prompt_tokens ?? '', r.usage?.completion_tokens ?? '', r.usage?.reasoning_tokens ?? '',
    r.timings?.ttft_ms ?? '', r.timings?.tpot_ms ?? '', r.timings?.e2e_ms ?? '', r.cost ?? '', String(r.cached ?? false),
    r.tries ?? '', r.timings?.total_ms ?? r.timings?.e2e_ms ?? '', String(r.usage_unknown ?? false), r.unsupported ?? '',
  ]);
  writeFileAtomic(join(dir, FILES.csv), stringify(rows, { header: true, columns: [...CSV_COLUMNS] }));
}
