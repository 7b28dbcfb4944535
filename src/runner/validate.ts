/**
 * Suite validation: the schema, then the oracle must score 100% and nop 0%. A suite that
 * fails either has a broken scorer, broken references, or a scorer that rewards nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatError } from '../errors.js';
import { NopProvider, OracleProvider } from '../providers/index.js';
import { loadSuite } from '../suites/load.js';
import type { AttemptRecord, Suite } from '../types.js';
import { executeAttempts } from './attempts.js';
import { ScoringPool } from './pool.js';

export interface CheckResult {
  check: 'schema' | 'oracle' | 'nop';
  ok: boolean;
  detail: string;
  /** Items that broke the check (first few), with their output and error. */
  failures?: Array<{ item_id: string; output: string; value: number; error: string | null }>;
}

export interface ValidateOptions {
  limit?: number | null;
  workers?: number;
  unsafeNoSandbox?: boolean;
  seed?: number;
}

const SHOW = 5;

export async function validateSuite(spec: string, opts: ValidateOptions = {}): Promise<{ suite: Suite | null; checks: CheckResult[] }> {
  let suite: Suite;
  try {
    suite = await loadSuite(spec, { seed: opts.seed ?? 0 });
  } catch (err) {
    return { suite: null, checks: [{ check: 'schema', ok: false, detail: formatError(err) }] };
  }
  const checks: CheckResult[] = [{ check: 'schema', ok: true, detail: `suite.json and ${suite.items.length} items valid` }];
  const records: AttemptRecord[] = [];
  const pool = new ScoringPool(opts.workers === undefined ? {} : { workers: opts.workers });
  const workRoot = mkdtempSync(join(tmpdir(), 'dsabench-validate-'));
  try {
    await executeAttempts({
      runId: 'validate',
      suites: [suite],
      providers: [new OracleProvider(), new NopProvider()],
      repeats: 1,
      limit: opts.limit ?? null,
      concurrency: 8,
      pool,
      prices: {},
      workRoot,
      ...(opts.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
      onRecord: (r) => records.push(r),
    });
  } finally {
    await pool.close();
    rmSync(workRoot, { recursive: true, force: true });
  }
  const verdict = (provider: 'oracle' | 'nop'): CheckResult => {
    const recs = records.filter((r) => r.provider === provider);
    const bad = recs.filter((r) => (provider === 'oracle' ? !(r.score.pass && r.score.value === 1) : r.score.pass || r.score.value > 0));
    const passed = recs.filter((r) => r.score.pass).length;
    const want = provider === 'oracle' ? '100%' : '0%';
    const res: CheckResult = {
      check: provider,
      ok: recs.length > 0 && bad.length === 0,
      detail: `${passed}/${recs.length} pass (expected ${want})`,
    };
    if (bad.length > 0) {
      res.failures = bad.slice(0, SHOW).map((r) => ({ item_id: r.item_id, output: r.output.slice(0, 200), value: r.score.value, error: r.error }));
    }
    return res;
  };
  checks.push(verdict('oracle'), verdict('nop'));
  return { suite, checks };
}
