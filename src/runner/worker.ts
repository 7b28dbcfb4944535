/**
 * Pool worker: scores a batch of attempts with the scorer registry. Runs in a piscina
 * worker thread (default export) or inline on the main thread (`--workers 0`).
 * A scorer that throws or returns a malformed score gives {value 0, pass false} and an
 * `error`; the batch never rejects because of one attempt.
 */
import { getScorer } from '../scorers/index.js';
import type { Item, Score } from '../types.js';

/** One attempt to score (structured-cloned into the worker). */
export interface ScoreJob {
  scorer: string;
  options: Record<string, unknown>;
  output: string;
  item: Item;
  workDir?: string;
  unsafeNoSandbox?: boolean;
}

export interface ScoreOutcome {
  score: Score;
  error: string | null;
}

const FAILED: Score = { value: 0, pass: false };

function checkScore(s: unknown): string | null {
  if (!s || typeof s !== 'object') return 'scorer returned no score object';
  const o = s as Partial<Score>;
  if (typeof o.value !== 'number' || !Number.isFinite(o.value) || o.value < 0 || o.value > 1) return `scorer returned value ${String(o.value)} (expected a number in [0, 1])`;
  if (typeof o.pass !== 'boolean') return `scorer returned pass ${String(o.pass)} (expected a boolean)`;
  return null;
}

export async function scoreOne(job: ScoreJob): Promise<ScoreOutcome> {
  try {
    const fn = getScorer(job.scorer);
    const score = await fn(job.output, job.item, job.options, { workDir: job.workDir, unsafeNoSandbox: job.unsafeNoSandbox });
    const bad = checkScore(score);
    if (bad) return { score: { ...FAILED }, error: bad };
    return { score, error: null };
  } catch (err) {
    return { score: { ...FAILED }, error: `scorer ${job.scorer} failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Scores the jobs one after another (a batch amortises the per-message cost of the pool). */
export default async function scoreBatch(jobs: ScoreJob[]): Promise<ScoreOutcome[]> {
  const out: ScoreOutcome[] = new Array<ScoreOutcome>(jobs.length);
  for (let i = 0; i < jobs.length; i++) out[i] = await scoreOne(jobs[i]!);
  return out;
}
