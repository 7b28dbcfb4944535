/**
 * One `dsabench run`: resolve suites and providers, write results/<run-id>/ (run.json,
 * samples.jsonl, summary.json, results.csv), resume a killed run, stop cleanly on request.
 *
 * Settings that decide WHAT is evaluated (suites, providers, limit, repeats, seed,
 * generation) are hashed into config_hash and fixed for a run; --resume reuses them from
 * run.json. Settings that decide HOW FAST (concurrency, workers) may change on resume.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DsabenchError } from '../errors.js';
import { createProvider } from '../providers/index.js';
import { loadSuite } from '../suites/load.js';
import { checkSuiteRequirements } from '../suites/requirements.js';
import type { SandboxTools } from '../sandbox/detect.js';
import type { RunSettings, SuiteRunOptions } from './settings.js';
import type { AttemptRecord, Provider, RunManifest, RunSummary, Suite } from '../types.js';
import { hashJson } from '../util/hash.js';
import { packageVersion } from '../util/package.js';
import { countAttempts, executeAttempts } from './attempts.js';
import { engineInfo, gitSha, machineInfo, newRunId } from './manifest.js';
import { ScoringPool } from './pool.js';
import { keysOutsideShard, parseShard } from './shard.js';
import { WorkerStats } from './queue/stats.js';
import { parseRedisUrl, type RedisTarget } from './queue/url.js';
import { checkResume } from './resume.js';
import { loadPrices, type PriceTable } from './prices.js';
import { Progress, type ProgressOptions } from './progress.js';
import { lockRunDir } from '../results/run-lock.js';
import { attemptKey, ensureDir, FILES, readManifest, readSamples, SampleWriter, writeFileAtomic, writeJson, writeResultsCsv, writeSummary } from '../results/store.js';
import { summarize, type SuiteMeta } from '../results/summary.js';

// Shared with the queue, the merge and the CLI (settings.ts); re-exported for callers of a run.
export type { ProviderEntry, RunSettings, SuiteRunOptions } from './settings.js';

export { DEFAULT_SETTINGS } from './defaults.js';

export interface RunControl {
  /** Stop launching attempts (first Ctrl-C). */
  stop?: AbortSignal;
  /** Abort in-flight attempts too (second Ctrl-C). */
  abort?: AbortSignal;
  progress?: ProgressOptions;
  /** Called with human-readable notes (run dir, resume counts). */
  log?: (line: string) => void;
  /** The sandbox probe (default: the real one; tests pass a machine without a sandbox). */
  detectSandbox?: () => SandboxTools | Error;
}

export interface RunOutcome {
  dir: string;
  manifest: RunManifest;
  summary: RunSummary;
  /** Attempts planned, done before this invocation (resume), and recorded now. */
  total: number;
  resumed: number;
  recorded: number;
}

/** The part of the settings that decides what is evaluated (hashed). */
function whatSettings(s: RunSettings): Record<string, unknown> {
  // suite_options only when given, so runs without it keep their config hash.
  return { suites: s.suites, providers: s.providers, limit: s.limit, repeats: s.repeats, seed: s.seed, generation: s.generation ?? null, ...(s.suite_options ? { suite_options: s.suite_options } : {}) };
}

export async function loadSuites(specs: readonly string[], seed: number, suiteOptions: Record<string, SuiteRunOptions> = {}): Promise<Suite[]> {
  const suites: Suite[] = [];
  const names = new Map<string, string>();
  for (const spec of specs) {
    const o = Object.prototype.hasOwnProperty.call(suiteOptions, spec) ? suiteOptions[spec] : undefined;
    const s = await loadSuite(spec, { seed, ...(o ? { override: o } : {}) });
    if (o?.limit !== undefined) s.items = s.items.slice(0, o.limit);
    const prev = names.get(s.config.name);
    if (prev !== undefined) throw new DsabenchError('E_USAGE', `suites "${prev}" and "${spec}" have the same name "${s.config.name}"; expected distinct suite names`, { field: 'suite' });
    names.set(s.config.name, spec);
    suites.push(s);
  }
  return suites;
}

export async function openProviders(settings: Pick<RunSettings, 'providers' | 'cache' | 'no_cache'>): Promise<Provider[]> {
  const providers: Provider[] = [];
  try {
    for (const p of settings.providers) {
      const opts: Parameters<typeof createProvider>[1] = { cachePath: settings.cache, noCache: settings.no_cache };
      if (p.options) opts.config = p.options;
      const prov = await createProvider(p.spec, opts);
      if (providers.some((q) => q.id === prov.id)) throw new DsabenchError('E_USAGE', `provider "${prov.id}" given twice; expected distinct providers`, { field: 'provider' });
      providers.push(prov);
    }
  } catch (err) {
    await closeProviders(providers);
    throw err;
  }
  return providers;
}

export async function closeProviders(providers: readonly Provider[]): Promise<void> {
  for (const p of providers) {
    try {
      await p.close?.();
    } catch {
      // closing is best effort
    }
  }
}

function suiteMeta(suites: readonly Suite[]): Record<string, SuiteMeta> {
  const out: Record<string, SuiteMeta> = {};
  for (const s of suites) {
    const by = s.config.options?.['breakdown_by'];
    out[s.config.name] = { kind: s.config.kind, ...(Array.isArray(by) ? { breakdownBy: by.map(String) } : {}) };
  }
  return out;
}

/** Where a run is written and what to run: a new folder, or a resumed one with its stored settings. */
interface RunStart {
  settings: RunSettings;
  dir: string;
  manifest: RunManifest;
  /** Records already in the folder (resume). */
  previous: AttemptRecord[];
}

type RunWhere = { out?: string; resumeDir?: string; resultsRoot?: string; retryErrors?: boolean; rerunChanged?: boolean; queueUrl?: string };

/** A resumed run's folder: its stored settings (with how-fast settings from now) and records. */
function resumeRunDir(settingsIn: RunSettings, dir: string): RunStart {
  const old = readManifest(dir);
  const stored = old.config as unknown as RunSettings;
  const settings: RunSettings = { ...stored, concurrency: settingsIn.concurrency, workers: settingsIn.workers, keep_workdirs: settingsIn.keep_workdirs, ...(settingsIn.queue ? { queue: settingsIn.queue } : {}) };
  // How results are counted, not what is evaluated: a flag given now turns it on, else the stored choice holds.
  for (const k of ['count_cached', 'allow_unsupported'] as const) if (settingsIn[k] || stored[k]) settings[k] = true;
  const previous = readSamples(join(dir, FILES.samples), { repair: true });
  return { settings, dir, previous, manifest: { ...old, status: 'running', finished_at: null, config: settings as unknown as Record<string, unknown> } };
}

/** A new run's folder (refused when it already holds a run) and its first manifest. */
async function newRunDir(settings: RunSettings, dir: string, runId: string): Promise<RunStart> {
  if (existsSync(join(dir, FILES.manifest)) || existsSync(join(dir, FILES.samples))) {
    throw new DsabenchError('E_USAGE', `this folder already holds a run; continue it with --resume ${dir}, or choose another --out`, { file: dir, field: 'out' });
  }
  const manifest: RunManifest = {
    run_id: runId,
    created_at: new Date().toISOString(),
    finished_at: null,
    status: 'running',
    package_version: packageVersion(),
    git_sha: gitSha(),
    config: settings as unknown as Record<string, unknown>,
    config_hash: '',
    seed: settings.seed,
    engine: await engineInfo(),
    machine: machineInfo(),
    suites: [],
    providers: [],
  };
  return { settings, dir, manifest, previous: [] };
}

/**
 * A resume's records that still count: those of suites whose files changed (when allowed,
 * resume.ts) and, with retryErrors, those that ended in an error are dropped from the file
 * and run again. Refuses, before anything is written, a resume over changed suite files.
 */
function keptForResume(start: RunStart, suiteHashes: Record<string, string>, configHash: string, where: RunWhere, log: (line: string) => void): AttemptRecord[] {
  const { dir, manifest, previous } = start;
  const { drop, changes } = checkResume(dir, manifest, suiteHashes, configHash, previous, where.rerunChanged === true);
  let kept = previous.filter((r) => !drop.has(r.suite));
  if (kept.length < previous.length) log(`suite files changed (${changes.join('; ')}): running their ${previous.length - kept.length} finished attempts again`);
  if (where.retryErrors) {
    // Attempts that ended in an error are dropped from the file and run again.
    const ok = kept.filter((r) => r.error === null);
    if (ok.length < kept.length) log(`retrying ${kept.length - ok.length} attempts that ended in an error`);
    kept = ok;
  }
  if (kept.length === previous.length) return previous;
  writeFileAtomic(join(dir, FILES.samples), kept.map((r) => JSON.stringify(r) + '\n').join(''));
  return kept;
}

/** What one invocation's attempts need, planned and opened. */
interface RunPlan {
  settings: RunSettings;
  dir: string;
  manifest: RunManifest;
  suites: Suite[];
  providers: Provider[];
  suiteHashes: Record<string, string>;
  queueTarget: RedisTarget | null;
  prices: PriceTable;
  /** Attempt keys not to run: done before (resume) or outside this shard. */
  skip: Set<string>;
  total: number;
  resumedDone: number;
}

/** Runs the planned attempts here (scoring pool) or through the queue's workers, appending
 *  each record to samples.jsonl; always closes what it opened. A thrown error is returned as
 *  `failure`, for the summary to be written first. */
async function executeRun(p: RunPlan, control: RunControl, log: (line: string) => void): Promise<{ recorded: number; stopped: boolean; failure: unknown }> {
  const { settings, dir, manifest, suites, providers } = p;
  const writer = new SampleWriter(join(dir, FILES.samples));
  // Queued: no scoring here (the workers score), and progress names the workers.
  const mode: { kind: 'queue'; target: RedisTarget; stats: WorkerStats } | { kind: 'local'; pool: ScoringPool } = p.queueTarget
    ? { kind: 'queue', target: p.queueTarget, stats: new WorkerStats() }
    : { kind: 'local', pool: new ScoringPool({ workers: settings.workers }) };
  const workRoot = settings.keep_workdirs ? join(dir, 'work') : mkdtempSync(join(tmpdir(), `dsabench-${manifest.run_id}-`));
  if (settings.keep_workdirs) ensureDir(workRoot);
  const progress = new Progress(p.total, p.resumedDone, mode.kind === 'queue' ? { ...control.progress, detail: () => mode.stats.line() } : control.progress);
  const onRecord = (rec: AttemptRecord): void => {
    writer.append(rec);
    progress.tick(rec.score.pass, rec.error !== null);
  };
  try {
    const res = mode.kind === 'queue' ? await (await import('./queue/coordinator.js')).executeQueued({
      target: mode.target,
      runId: manifest.run_id,
      suites,
      providers,
      providerEntries: settings.providers,
      repeats: settings.repeats,
      limit: settings.limit,
      ...(settings.generation ? { generation: settings.generation } : {}),
      skip: p.skip,
      suiteHashes: p.suiteHashes,
      noCache: settings.no_cache,
      onRecord,
      log,
      stats: mode.stats,
      ...(control.stop ? { stop: control.stop } : {}),
    }) : await executeAttempts({
      runId: manifest.run_id,
      suites,
      providers,
      repeats: settings.repeats,
      limit: settings.limit,
      concurrency: settings.concurrency,
      pool: mode.pool,
      prices: p.prices,
      skip: p.skip,
      workRoot,
      keepWorkdirs: settings.keep_workdirs,
      unsafeNoSandbox: settings.unsafe_no_sandbox,
      ...(settings.generation ? { generation: settings.generation } : {}),
      onRecord,
      ...(control.stop ? { stop: control.stop } : {}),
      ...(control.abort ? { abort: control.abort } : {}),
    });
    return { recorded: res.recorded, stopped: res.stopped, failure: null };
  } catch (err) {
    return { recorded: 0, stopped: false, failure: err };
  } finally {
    progress.finish();
    writer.close();
    if (mode.kind === 'local') await mode.pool.close();
    await closeProviders(providers);
    if (!settings.keep_workdirs) {
      try {
        rmSync(workRoot, { recursive: true, force: true });
      } catch (err) {
        log(`note: could not remove work dirs under ${workRoot}: ${(err as Error).message}`);
      }
    }
  }
}

/** Loads the suites, checks the machine can score them, settles a resume's records, opens the
 *  providers and writes the manifest: everything before the first attempt. */
async function planRun(start: RunStart, where: RunWhere, control: RunControl, log: (line: string) => void): Promise<RunPlan> {
  const { settings, dir } = start;
  // A queued run (--queue, or a resumed run that was queued) coordinates workers instead of running attempts here.
  const queueUrl = where.queueUrl ?? settings.queue;
  const queueTarget = queueUrl ? parseRedisUrl(queueUrl) : null;
  const suites = await loadSuites(settings.suites, settings.seed, settings.suite_options);
  // Before the first attempt: a suite that cannot be scored here is an error, not 0% per attempt.
  // Queued, the workers score, and each checks its own machine (src/runner/queue/worker.ts).
  const sandboxLine = queueTarget ? null : checkSuiteRequirements(suites, { unsafeNoSandbox: settings.unsafe_no_sandbox, limit: settings.limit, ...(control.detectSandbox ? { detect: control.detectSandbox } : {}) });
  if (sandboxLine) log(sandboxLine);
  const suiteHashes = Object.fromEntries(suites.map((s) => [s.config.name, hashJson({ config: s.config, items: s.items })]));
  const configHash = hashJson({ ...whatSettings(settings), suite_hashes: suiteHashes });
  // Before anything is written: a resume over changed suite files is refused (resume.ts).
  const previous = where.resumeDir ? keptForResume(start, suiteHashes, configHash, where, log) : start.previous;
  const prices = loadPrices();
  const providers = await openProviders(settings);
  const manifest: RunManifest = {
    ...start.manifest,
    // Always the hash of what is evaluated now: a resume either matched it or dropped what did not.
    config_hash: configHash,
    suite_hashes: suiteHashes,
    suites: suites.map((s) => s.config.name),
    providers: providers.map((p) => p.id),
  };
  ensureDir(dir);
  writeJson(join(dir, FILES.manifest), manifest);
  const outside = settings.shard ? keysOutsideShard(suites, providers.map((p) => p.id), settings.repeats, settings.limit, parseShard(settings.shard)) : new Set<string>();
  return {
    settings, dir, manifest, suites, providers, suiteHashes, queueTarget, prices,
    skip: new Set([...previous.map(attemptKey), ...outside]),
    total: countAttempts(suites, providers.length, settings.repeats, settings.limit) - outside.size,
    resumedDone: previous.filter((r) => suites.some((s) => s.config.name === r.suite) && providers.some((p) => p.id === r.provider)).length,
  };
}

/**
 * Run (or resume) an evaluation. `resumeDir` continues a run folder: its stored settings
 * are used, with `concurrency`/`workers`/`keep_workdirs` from `settings` when given.
 */
export async function runEvaluation(settingsIn: RunSettings, where: RunWhere, control: RunControl = {}): Promise<RunOutcome> {
  const log = control.log ?? (() => {});
  const runId = newRunId();
  const dir = resolve(where.resumeDir ?? where.out ?? join(where.resultsRoot ?? 'results', runId));
  // Before a resume reads (and repairs) samples.jsonl: one writer per folder (run-lock.ts).
  const release = lockRunDir(dir);
  try {
    const start = where.resumeDir ? resumeRunDir(settingsIn, dir) : await newRunDir(settingsIn, dir, runId);
    return await runLocked(start, where, control, log);
  } finally {
    release();
  }
}

async function runLocked(start: RunStart, where: RunWhere, control: RunControl, log: (line: string) => void): Promise<RunOutcome> {
  const p = await planRun(start, where, control, log);
  const { settings, dir, suites, providers, total, resumedDone } = p;
  log(`run ${p.manifest.run_id}: ${total} attempts (${suites.length} suites × ${providers.length} providers × repeats ${settings.repeats}${settings.shard ? `, shard ${settings.shard}` : ''})${resumedDone ? `, ${resumedDone} already done` : ''} → ${dir}${settings.queue ? `; queued on ${settings.queue}` : ''}`);
  const { recorded, stopped, failure } = await executeRun(p, control, log);

  // The summary covers every attempt in the file (this invocation and earlier ones).
  const all = readSamples(join(dir, FILES.samples));
  const manifest: RunManifest = { ...p.manifest, status: failure ? 'failed' : stopped ? 'interrupted' : 'complete', finished_at: new Date().toISOString() };
  const order = suites.flatMap((s) => providers.map((pr) => ({ suite: s.config.name, provider: pr.id })));
  const summary = summarize(manifest, all, suiteMeta(suites), order, { countCached: settings.count_cached === true });
  writeSummary(dir, summary);
  writeResultsCsv(dir, all);
  writeJson(join(dir, FILES.manifest), manifest);
  if (failure) {
    throw failure instanceof DsabenchError ? failure : new DsabenchError('E_RUN', `run failed: ${failure instanceof Error ? failure.message : String(failure)}`, { cause: failure });
  }
  return { dir, manifest, summary, total, resumed: resumedDone, recorded };
}
