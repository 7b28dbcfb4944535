/**
 * The attempt loop: items × repeats × providers of every suite.
 *
 * - Solvers (provider calls, the terminal agent's subprocess loop) run on the main thread,
 *   at most `concurrency` at once.
 * - Scoring goes to the ScoringPool; a lane does not wait for its attempt's score before
 *   solving the next one, but the scoring backlog is bounded (`maxScoreBacklog`), so a
 *   fast provider cannot queue the whole run in memory.
 * - Each attempt gets an empty private work dir, passed to the solver and the scorer, and
 *   cleared once the attempt is recorded (unless keepWorkdirs; see WorkDirs).
 * - A failure inside an attempt (provider error, solver throw, scorer throw) is a value in
 *   its record. An item that cannot run here (solver metadata `unsupported`, or a scorer
 *   verdict "unsupported") is recorded with `unsupported` (its reason), which keeps it out
 *   of the summary's mean. `stop` stops launching; `abort` also aborts in-flight provider calls. Once
 *   either is set, attempts that end in an error are not recorded (resume redoes them): a
 *   Ctrl-C in a terminal also kills child processes of solvers and scorers.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { solverFor } from '../solvers/index.js';
import { renderMessages } from '../solvers/template.js';
import type { AttemptRecord, ChatMessage, Completion, GenerationSettings, Item, Provider, SolveResult, Suite } from '../types.js';
import { hashJson } from '../util/hash.js';
import type { ScoringPool } from './pool.js';
import { costOf, priceFor, type PriceTable } from './prices.js';
import { attemptKey } from '../results/store.js';

export interface ExecuteOptions {
  runId: string;
  suites: readonly Suite[];
  providers: readonly Provider[];
  repeats: number;
  /** First N items of each suite; null = all. */
  limit: number | null;
  /** Solver calls in flight at once. */
  concurrency: number;
  pool: ScoringPool;
  prices: PriceTable;
  /** Attempt keys already done (resume). */
  skip?: ReadonlySet<string>;
  /** Parent of the per-attempt work dirs (must exist, private). */
  workRoot: string;
  keepWorkdirs?: boolean;
  unsafeNoSandbox?: boolean;
  /** Generation settings overriding every suite's defaults. */
  generation?: GenerationSettings;
  onRecord: (rec: AttemptRecord) => void;
  stop?: AbortSignal;
  abort?: AbortSignal;
  /** Scoring jobs waiting or running at most (default 4 × pool workers × 64, at least 256). */
  maxScoreBacklog?: number;
  /**
   * Run exactly these attempts instead of planning suites × providers × repeats (a queue
   * worker runs the one attempt its job names, through the same path as a local run).
   */
  planned?: Iterable<PlannedAttempt>;
  /** Work dirs to draw from, kept after the call (a queue worker shares one set across its jobs); default: a set of its own under workRoot. */
  workDirs?: WorkDirs;
}

export interface ExecuteResult {
  /** Attempts recorded in this call. */
  recorded: number;
  /** True when stopped before every planned attempt was recorded. */
  stopped: boolean;
}

/** One attempt, ready to solve: its prompt rendered and its input hashed. */
export interface PlannedAttempt {
  suite: Suite;
  item: Item;
  provider: Provider;
  attempt: number;
  messages: ChatMessage[];
  settings: GenerationSettings;
  inputHash: string;
}

/** Number of attempts the options describe (before skipping). */
export function countAttempts(suites: readonly Suite[], providers: number, repeats: number, limit: number | null): number {
  let n = 0;
  for (const s of suites) n += (limit === null ? s.items.length : Math.min(limit, s.items.length)) * providers * repeats;
  return n;
}

type Planned = PlannedAttempt;

/** The attempts the options describe, in run order, minus `skip` (also the queue coordinator's plan). */
export function* planAttempts(opts: Pick<ExecuteOptions, 'suites' | 'providers' | 'repeats' | 'limit' | 'generation' | 'skip'>): Generator<Planned> {
  for (const suite of opts.suites) {
    const items = opts.limit === null ? suite.items : suite.items.slice(0, opts.limit);
    const settings: GenerationSettings = { ...suite.config.generation, ...opts.generation };
    for (const item of items) {
      let messages: ChatMessage[] | undefined;
      let inputHash = '';
      for (const provider of opts.providers) {
        for (let attempt = 0; attempt < opts.repeats; attempt++) {
          if (opts.skip?.size && opts.skip.has(attemptKey({ suite: suite.config.name, item_id: item.id, provider: provider.id, attempt }))) continue;
          if (!messages) {
            messages = renderMessages(suite.config, item);
            inputHash = hashJson({ messages, settings });
          }
          yield { suite, item, provider, attempt, messages, settings, inputHash };
        }
      }
    }
  }
}

/** Best-effort removal: a dir an attempt left unremovable must not stop the run. */
function removeQuietly(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // left behind under the work root
  }
}

/**
 * Per-attempt work dirs under one private root. A dir left empty by its attempt goes back to
 * a free list and is handed out again (an empty dir is as good as a new one, and creating and
 * removing a directory per attempt costs more than a trivial attempt on overlay file
 * systems); a dir with anything in it is removed. With `keep`, every attempt gets its own
 * dir and nothing is removed.
 */
export class WorkDirs {
  private free: string[] = [];
  private seq = 0;

  constructor(private readonly root: string, private readonly keep: boolean) {}

  acquire(): string {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const dir = join(this.root, String(this.seq++));
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  }

  release(dir: string): void {
    if (this.keep) return;
    let empty = false;
    try {
      empty = readdirSync(dir).length === 0;
    } catch {
      return; // removed by its attempt: nothing to reuse
    }
    if (empty) this.free.push(dir);
    else removeQuietly(dir);
  }

  /** Remove the dirs kept for reuse. */
  dispose(): void {
    for (const d of this.free.splice(0)) removeQuietly(d);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Why the solver could not attempt the item here (terminal-agent: `metadata.unsupported`,
 * e.g. a task whose environment is a Docker image), or undefined.
 */
function unsupportedBySolver(solved: SolveResult): string | undefined {
  const u = solved.metadata?.['unsupported'];
  return typeof u === 'string' && u !== '' ? u : undefined;
}

/** A scorer's verdict that the item cannot be scored here (`details.verdict: "unsupported"`). */
function unsupportedByScorer(score: AttemptRecord['score']): string | undefined {
  if (score.details?.['verdict'] !== 'unsupported') return undefined;
  const why = score.details['reason'];
  return typeof why === 'string' && why !== '' ? why : 'unsupported by the scorer';
}

function failedCompletion(error: string, e2e: number): Completion {
  return { text: '', timings: { ttft_ms: null, tpot_ms: null, e2e_ms: e2e }, error };
}

export async function executeAttempts(opts: ExecuteOptions): Promise<ExecuteResult> {
  const it: Iterator<Planned> = opts.planned ? opts.planned[Symbol.iterator]() : planAttempts(opts);
  let recorded = 0;
  let exhausted = false;
  const workDirs = opts.workDirs ?? new WorkDirs(opts.workRoot, opts.keepWorkdirs ?? false);
  const maxBacklog = opts.maxScoreBacklog ?? Math.max(256, 4 * Math.max(1, opts.pool.workers) * 64);
  let backlog = 0;
  const waiters: Array<() => void> = [];
  const wakeOne = (): void => waiters.shift()?.();
  // A failure of the harness itself (results file not writable): stop everything, rethrow at the end.
  let fatal: unknown = null;
  const scoring = new Set<Promise<void>>();
  const prices = new Map<Provider, ReturnType<typeof priceFor>>();
  for (const p of opts.providers) prices.set(p, priceFor(opts.prices, p));

  const finish = (p: Planned, solved: SolveResult, workDir: string, startedAt: string, score: AttemptRecord['score'], error: string | null, unsupported?: string): void => {
    const c = solved.completion;
    const rec: AttemptRecord = {
      run_id: opts.runId,
      suite: p.suite.config.name,
      item_id: p.item.id,
      provider: p.provider.id,
      attempt: p.attempt,
      input_hash: p.inputHash,
      output: solved.output,
      score,
      usage: c.usage ?? null,
      timings: c.timings ?? null,
      cost: costOf(prices.get(p.provider) ?? null, c.usage),
      error,
    };
    if (c.reasoning) rec.reasoning = c.reasoning;
    if (solved.transcript) rec.transcript = solved.transcript;
    if (p.item.metadata || solved.metadata) rec.metadata = { ...p.item.metadata, ...(solved.metadata ? { solve: solved.metadata } : {}) };
    if (c.cached) rec.cached = true;
    // A cached answer made no request now; its stored tries belong to the run that made them.
    rec.tries = c.cached ? 0 : (c.tries ?? 1);
    if (c.usage_unknown) rec.usage_unknown = true;
    if (unsupported !== undefined) rec.unsupported = unsupported;
    rec.started_at = startedAt;
    rec.ended_at = new Date().toISOString();
    workDirs.release(workDir);
    try {
      opts.onRecord(rec);
      recorded++;
    } catch (e) {
      fatal ??= e;
    }
  };

  const stopping = (): boolean => Boolean(opts.stop?.aborted || opts.abort?.aborted);

  const runOne = async (p: Planned): Promise<void> => {
    const workDir = workDirs.acquire();
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    let solved: SolveResult;
    try {
      solved = await solverFor(p.suite.config.solver, p.provider)({
        suite: p.suite,
        item: p.item,
        provider: p.provider,
        messages: p.messages,
        settings: p.settings,
        attempt: p.attempt,
        workDir,
        signal: opts.abort,
        unsafeNoSandbox: opts.unsafeNoSandbox,
      });
    } catch (err) {
      solved = { output: '', completion: failedCompletion(`solver failed: ${errorMessage(err)}`, performance.now() - t0) };
    }
    const err = solved.completion.error;
    const notHere = unsupportedBySolver(solved);
    if (notHere !== undefined && !err) {
      // Nothing was attempted: no score to compute, and none that could mean anything.
      finish(p, solved, workDir, startedAt, { value: 0, pass: false }, null, notHere);
      return;
    }
    if (err) {
      if (stopping()) {
        // Probably cut short by Ctrl-C (which also reaches child processes in the terminal's
        // process group): not a result; resume will redo it.
        workDirs.release(workDir);
        return;
      }
      finish(p, solved, workDir, startedAt, { value: 0, pass: false }, err);
      return;
    }
    while (backlog >= maxBacklog) await new Promise<void>((r) => waiters.push(r));
    backlog++;
    const job = opts.pool
      .score({
        scorer: p.suite.config.scorer.name,
        options: p.suite.config.scorer.options ?? {},
        output: solved.output,
        item: p.item,
        workDir,
        unsafeNoSandbox: opts.unsafeNoSandbox,
      })
      .then((o) => {
        try {
          if (o.error !== null && stopping()) workDirs.release(workDir); // as above: redo on resume
          else finish(p, solved, workDir, startedAt, o.score, o.error, o.error === null ? unsupportedByScorer(o.score) : undefined);
        } catch (e) {
          fatal ??= e;
        }
      })
      .finally(() => {
        backlog--;
        scoring.delete(job);
        wakeOne();
      });
    scoring.add(job);
  };

  const lane = async (): Promise<void> => {
    for (;;) {
      if (opts.stop?.aborted || fatal !== null) return;
      const n = it.next();
      if (n.done) {
        exhausted = true;
        return;
      }
      try {
        await runOne(n.value);
      } catch (e) {
        fatal ??= e;
        return;
      }
    }
  };

  // Lanes waiting on the scoring backlog are woken one per finished score and re-check.
  const lanes = Array.from({ length: Math.max(1, opts.concurrency) }, () => lane());
  await Promise.all(lanes);
  while (scoring.size > 0) await Promise.all([...scoring]);
  if (!opts.workDirs) workDirs.dispose();
  if (fatal !== null) throw fatal;
  return { recorded, stopped: !exhausted };
}
