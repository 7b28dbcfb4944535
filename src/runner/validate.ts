/**
 * Suite validation: the schema, then the oracle must score 100%, nop 0%, and the negative
 * control 0% (each item answered with another item's reference; negative-control.ts). A
 * suite that fails has broken references, a scorer that rewards nothing, or a scorer that
 * passes wrong answers (any non-empty one). A suite that needs the sandbox on a machine
 * without one fails the `sandbox` check before anything runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatError } from '../errors.js';
import { NopProvider, OracleProvider } from '../providers/index.js';
import { loadSuite } from '../suites/load.js';
import { checkSuiteRequirements } from '../suites/requirements.js';
import type { AttemptRecord, Suite } from '../types.js';
import { executeAttempts } from './attempts.js';
import { SwappedReferenceProvider } from './negative-control.js';
import { ScoringPool } from './pool.js';

export interface CheckResult {
  check: 'schema' | 'sandbox' | 'oracle' | 'nop' | 'negative';
  ok: boolean;
  detail: string;
  /** Items that broke the check (first few), with their output and error. */
  failures?: Array<{ item_id: string; output: string; value: number; error: string | null; reason?: string; answered_with?: string | null }>;
}

export interface ValidateOptions {
  limit?: number | null;
  workers?: number;
  unsafeNoSandbox?: boolean;
  seed?: number;
  /** Called as attempts finish (oracle, nop and negative control together): attempts done, attempts planned. */
  onProgress?: (done: number, total: number) => void;
}

/** Failures listed per check. */
const SHOW = 20;

/** Why an attempt got its score, as the scorer said (details.reason, else its verdict). */
function scoreReason(r: AttemptRecord): string | undefined {
  const d = r.score.details;
  if (!d) return undefined;
  if (typeof d['reason'] === 'string' && d['reason'] !== '') return d['reason'];
  return typeof d['verdict'] === 'string' ? d['verdict'] : undefined;
}

export async function validateSuite(spec: string, opts: ValidateOptions = {}): Promise<{ suite: Suite | null; checks: CheckResult[] }> {
  let suite: Suite;
  try {
    suite = await loadSuite(spec, { seed: opts.seed ?? 0 });
  } catch (err) {
    return { suite: null, checks: [{ check: 'schema', ok: false, detail: formatError(err) }] };
  }
  const checks: CheckResult[] = [{ check: 'schema', ok: true, detail: `suite.json and ${suite.items.length} items valid` }];
  try {
    checkSuiteRequirements([suite], { unsafeNoSandbox: opts.unsafeNoSandbox ?? false, limit: opts.limit ?? null });
  } catch (err) {
    // Every scored check would fail for the machine's sake, not the suite's: say that instead.
    checks.push({ check: 'sandbox', ok: false, detail: formatError(err) });
    return { suite, checks };
  }
  const negative = new SwappedReferenceProvider(suite.items);
  const records: AttemptRecord[] = [];
  const planned = 3 * (opts.limit === null || opts.limit === undefined ? suite.items.length : Math.min(opts.limit, suite.items.length));
  const pool = new ScoringPool(opts.workers === undefined ? {} : { workers: opts.workers });
  const workRoot = mkdtempSync(join(tmpdir(), 'dsabench-validate-'));
  try {
    await executeAttempts({
      runId: 'validate',
      suites: [suite],
      providers: [new OracleProvider(), new NopProvider(), negative],
      repeats: 1,
      limit: opts.limit ?? null,
      concurrency: 8,
      pool,
      prices: {},
      workRoot,
      ...(opts.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}),
      onRecord: (r) => {
        records.push(r);
        opts.onProgress?.(records.length, planned);
      },
    });
  } finally {
    await pool.close();
    rmSync(workRoot, { recursive: true, force: true });
  }
  const verdict = (check: 'oracle' | 'nop' | 'negative'): CheckResult => {
    const provider = check === 'negative' ? negative.id : check;
    const recs = records.filter((r) => r.provider === provider);
    // Partial credit on a wrong answer is allowed (another needle may share a word); a pass is not.
    const bad = recs.filter((r) => (check === 'oracle' ? !(r.score.pass && r.score.value === 1) : check === 'nop' ? r.score.pass || r.score.value > 0 : r.score.pass));
    const passed = recs.filter((r) => r.score.pass).length;
    const want = check === 'oracle' ? '100%' : '0%';
    const res: CheckResult = {
      check,
      ok: recs.length > 0 && bad.length === 0,
      detail: check === 'negative'
        ? `${passed}/${recs.length} pass (expected 0%: each item answered with another item's reference)${bad.length > 0 ? '; the scorer passes wrong answers' : ''}`
        : `${passed}/${recs.length} pass (expected ${want})`,
    };
    if (bad.length > 0) {
      res.failures = bad.slice(0, SHOW).map((r) => ({
        item_id: r.item_id, output: r.output.slice(0, 200), value: r.score.value, error: r.error,
        ...(scoreReason(r) !== undefined ? { reason: scoreReason(r)! } : {}),
        ...(check === 'negative' ? { answered_with: negative.source(r.item_id) } : {}),
      }));
    }
    return res;
  };
  checks.push(verdict('oracle'), verdict('nop'), verdict('negative'));
  return { suite, checks };
}
