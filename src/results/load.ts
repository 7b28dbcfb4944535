/**
 * Reading run directories back for reports and the gate.
 *
 * A run directory holds run.json (RunManifest), samples.jsonl (AttemptRecord per line),
 * summary.json (RunSummary) and results.csv. Loading is tolerant: a missing or partial
 * summary is recomputed from samples.jsonl, a missing run.json is taken from the summary
 * or synthesised; a truncated last JSONL line (a run killed mid-write) is dropped.
 * What cannot be recovered throws a DsabenchError that names the file (and line/field).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { DsabenchError } from '../errors.js';
import type { AttemptRecord, RunManifest, RunSummary, SuiteSummary } from '../types.js';
import { readManifest, readSampleLines, readSummaryFile } from './store.js';
import { countOptions, groupBySuiteProvider, summarizeRecords } from './summarize.js';

/** A results directory read back: manifest, summary (recomputed when absent), samples. */
export interface LoadedRun {
  dir: string;
  manifest: RunManifest;
  summary: RunSummary;
  /** Every attempt record; empty when the directory only holds a summary. */
  samples: AttemptRecord[];
  /** What was recomputed or tolerated while loading (shown in the report). */
  notes: string[];
}

const RUN_FILES = ['run.json', 'samples.jsonl', 'summary.json'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when `dir` looks like a run directory (holds any of the run files). */
export function isRunDir(dir: string): boolean {
  return RUN_FILES.some((f) => existsSync(join(dir, f)));
}

/** Checks the fields the reports rely on; returns the problem (field, expectation) or null. */
export function checkRecord(v: unknown): { field: string; expected: string } | null {
  if (!isRecord(v)) return { field: '/', expected: 'a JSON object (AttemptRecord)' };
  for (const k of ['suite', 'item_id', 'provider'] as const) {
    if (typeof v[k] !== 'string') return { field: `/${k}`, expected: 'a string' };
  }
  if (!isRecord(v.score) || typeof v.score.value !== 'number' || typeof v.score.pass !== 'boolean') {
    return { field: '/score', expected: '{ value: number, pass: boolean }' };
  }
  if (v.timings !== null && v.timings !== undefined && !isRecord(v.timings)) return { field: '/timings', expected: 'an object or null' };
  if (v.usage !== null && v.usage !== undefined && !isRecord(v.usage)) return { field: '/usage', expected: 'an object or null' };
  return null;
}

/** Reads samples.jsonl (store.ts parses it), validating each line; fills defaults for optional fields. */
export function readSamples(file: string): AttemptRecord[] {
  const out: AttemptRecord[] = [];
  for (const { line, value } of readSampleLines(file)) {
    const bad = checkRecord(value);
    if (bad) throw new DsabenchError('E_INPUT_INVALID', `attempt record: expected ${bad.expected}`, { file, line, field: bad.field });
    const r = value as AttemptRecord;
    // Tolerate older/partial writers: fill the nullable fields the reports read.
    r.attempt ??= 0;
    r.usage ??= null;
    r.timings ??= null;
    r.cost ??= null;
    r.error ??= null;
    r.output ??= '';
    out.push(r);
  }
  return out;
}

function checkSuiteSummary(s: unknown): string | null {
  if (!isRecord(s)) return '/';
  if (typeof s.suite !== 'string') return '/suite';
  if (typeof s.provider !== 'string') return '/provider';
  if (typeof s.mean !== 'number') return '/mean';
  if (typeof s.n !== 'number') return '/n';
  if (!Array.isArray(s.ci95) || s.ci95.length !== 2) return '/ci95';
  if (!isRecord(s.latency) || !isRecord(s.latency.e2e_ms)) return '/latency';
  if (!isRecord(s.tokens)) return '/tokens';
  if (!isRecord(s.cost)) return '/cost';
  return null;
}

function checkManifest(v: unknown): string | null {
  if (!isRecord(v)) return '/';
  if (typeof v.run_id !== 'string') return '/run_id';
  return null;
}

function synthManifest(runId: string, samples: readonly AttemptRecord[]): RunManifest {
  return {
    run_id: runId,
    created_at: samples.find((s) => s.started_at)?.started_at ?? new Date(0).toISOString(),
    finished_at: null,
    status: 'complete',
    package_version: 'unknown',
    git_sha: null,
    config: {},
    config_hash: '',
    seed: 0,
    engine: null,
    machine: {},
    suites: [...new Set(samples.map((s) => s.suite))],
    providers: [...new Set(samples.map((s) => s.provider))],
  };
}

/**
 * Loads one run from a directory, or from a summary.json path (summary only, no samples).
 * Throws E_FILE_NOT_FOUND when nothing is there, E_INPUT_INVALID naming the broken file.
 */
export function loadRun(path: string): LoadedRun {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new DsabenchError('E_FILE_NOT_FOUND', 'run directory or summary file does not exist', { file: abs });
  const isFile = statSync(abs).isFile();
  const dir = isFile ? dirname(abs) : abs;
  const notes: string[] = [];

  const manifestFile = join(dir, 'run.json');
  const samplesFile = join(dir, 'samples.jsonl');
  const summaryFile = isFile ? abs : join(dir, 'summary.json');
  const hasSamples = !isFile && existsSync(samplesFile);
  if (!isFile && !isRunDir(dir)) {
    throw new DsabenchError('E_INPUT_INVALID', `not a run directory: expected ${RUN_FILES.join(', ')} (any of them)`, { file: dir });
  }

  const samples = hasSamples ? readSamples(samplesFile) : [];

  let summaryRaw: Record<string, unknown> | null = null;
  if (existsSync(summaryFile)) {
    const v = readSummaryFile(summaryFile);
    if (!isRecord(v)) throw new DsabenchError('E_INPUT_INVALID', 'expected a RunSummary object { manifest, suites }', { file: summaryFile });
    summaryRaw = v;
  } else if (isFile) {
    throw new DsabenchError('E_FILE_NOT_FOUND', 'summary file does not exist', { file: summaryFile });
  }

  // Manifest: run.json, else the summary's copy, else synthesised from the samples.
  let manifest: RunManifest;
  if (!isFile && existsSync(manifestFile)) {
    const v: unknown = readManifest(dir);
    const bad = checkManifest(v);
    if (bad) throw new DsabenchError('E_INPUT_INVALID', 'run manifest: expected { run_id: string, … }', { file: manifestFile, field: bad });
    manifest = v as unknown as RunManifest;
  } else if (summaryRaw && checkManifest(summaryRaw.manifest) === null) {
    manifest = summaryRaw.manifest as RunManifest;
  } else if (samples.length > 0) {
    manifest = synthManifest(samples[0]!.run_id ?? basename(dir), samples);
    notes.push('run.json missing: manifest synthesised from samples.jsonl');
  } else {
    throw new DsabenchError('E_INPUT_INVALID', 'run has neither run.json, a summary manifest, nor samples', { file: dir });
  }

  // Suite summaries: keep the valid ones from summary.json, recompute the rest from samples.
  const suites: SuiteSummary[] = [];
  const have = new Set<string>();
  if (summaryRaw) {
    const list = summaryRaw.suites;
    if (!Array.isArray(list)) {
      if (!hasSamples) throw new DsabenchError('E_INPUT_INVALID', 'expected an array of suite summaries', { file: summaryFile, field: '/suites' });
      notes.push('summary.json has no suites array: recomputed from samples.jsonl');
    } else {
      list.forEach((s: unknown, i: number) => {
        const bad = checkSuiteSummary(s);
        if (bad) {
          if (!hasSamples) throw new DsabenchError('E_INPUT_INVALID', 'suite summary is incomplete and there is no samples.jsonl to recompute it from', { file: summaryFile, field: `/suites/${i}${bad === '/' ? '' : bad}` });
          notes.push(`summary.json suites[${i}] incomplete (${bad}): recomputed from samples.jsonl`);
          return;
        }
        const ss = s as SuiteSummary;
        // Summaries written before these counts existed: nothing was counted apart then.
        ss.n_cached ??= 0;
        ss.n_unsupported ??= 0;
        ss.n_no_usage ??= 0;
        suites.push(ss);
        have.add(`${ss.suite}\u0000${ss.provider}`);
      });
    }
  } else if (hasSamples) {
    notes.push('summary.json missing: recomputed from samples.jsonl');
  }
  for (const [key, list] of groupBySuiteProvider(samples)) {
    if (have.has(key)) continue;
    const [suite, provider] = key.split('\u0000') as [string, string];
    suites.push(summarizeRecords(suite, provider, list, countOptions(manifest)));
  }
  if (suites.length === 0 && samples.length === 0 && !summaryRaw) {
    throw new DsabenchError('E_INPUT_INVALID', 'run has no samples.jsonl and no summary.json', { file: dir });
  }
  return { dir, manifest, summary: { manifest, suites }, samples, notes };
}

// ---------------------------------------------------------------- arguments → run dirs

function globToRegExp(seg: string): RegExp {
  const re = seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

/** Expands `*` and `?` in path segments (no `**`), sorted; literal segments pass through. */
export function expandGlob(pattern: string): string[] {
  const abs = resolve(pattern);
  const parts = abs.split('/').filter((p, i) => i === 0 || p !== '');
  let current = ['/'];
  for (const part of parts.slice(1)) {
    const next: string[] = [];
    if (!/[*?]/.test(part)) {
      for (const c of current) next.push(join(c, part));
    } else {
      const re = globToRegExp(part);
      for (const c of current) {
        let names: string[];
        try {
          names = readdirSync(c);
        } catch {
          continue;
        }
        for (const n of names.sort()) if (re.test(n)) next.push(join(c, n));
      }
    }
    current = next;
  }
  return current.filter((p) => existsSync(p));
}

/**
 * Resolves CLI arguments to run paths: globs expand; a folder that is not itself a run
 * but holds run folders (e.g. `results/`) expands to them. Duplicates are dropped.
 */
export function resolveRunPaths(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    const matches = /[*?]/.test(arg) ? expandGlob(arg) : [resolve(arg)];
    if (matches.length === 0) throw new DsabenchError('E_FILE_NOT_FOUND', `no run directory matches "${arg}"`, { file: arg });
    for (const m of matches) {
      if (!existsSync(m)) throw new DsabenchError('E_FILE_NOT_FOUND', 'run directory does not exist', { file: m });
      if (statSync(m).isDirectory() && !isRunDir(m)) {
        const children = readdirSync(m).sort().map((n) => join(m, n)).filter((c) => statSync(c).isDirectory() && isRunDir(c));
        if (children.length === 0) throw new DsabenchError('E_INPUT_INVALID', `not a run directory and holds none: expected ${RUN_FILES.join(', ')}`, { file: m });
        out.push(...children);
      } else {
        out.push(m);
      }
    }
  }
  return [...new Set(out)];
}

export function loadRuns(args: readonly string[]): LoadedRun[] {
  return resolveRunPaths(args).map((p) => loadRun(p));
}
