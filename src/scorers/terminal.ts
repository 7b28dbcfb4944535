/**
 * Scorer `terminal`: copies the task's tests into the attempt's work dir and runs them in a
 * fresh sandbox over /app (what the agent left there). Score = 1 iff every test passed
 * (TB 1.x: exit 0) or the Harbor reward (0..1; pass iff 1).
 *
 * The runner gives the solver and the scorer the same work dir, so the tests see the
 * agent's work; when the environment was never built there (a plain chat solver, or the
 * solver failed early), it is built now and the tests run on the untouched environment.
 * A task whose environment needs a Docker image scores 0 with verdict `unsupported`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Score, ScoreFn } from '../types.js';
import { parseTerminalTarget } from '../suites/terminal/tasks.js';
import { prepareEnvironment, verify } from '../suites/terminal/env.js';

export const terminalScorer: ScoreFn = async (_output, item, _options, ctx): Promise<Score> => {
  const t = parseTerminalTarget(item.target, item.id);
  if (t.unsupported) {
    return { value: 0, pass: false, details: { verdict: 'unsupported', reason: t.unsupported } };
  }
  const own = ctx.workDir === undefined;
  const workDir = ctx.workDir ?? mkdtempSync(join(tmpdir(), 'dsabench-term-'));
  const f = { ...(ctx.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) };
  try {
    const state = await prepareEnvironment(workDir, t, f);
    if (state.setup_error) return { value: 0, pass: false, details: { verdict: 'error', reason: state.setup_error } };
    const v = await verify(workDir, t, f);
    return {
      value: v.reward,
      pass: v.passed,
      details: { verdict: v.verdict, reason: v.reason, reward: v.reward, exit_code: v.exit_code, wall_ms: v.wall_ms, test_output: v.output_tail },
    };
  } finally {
    if (own) rmSync(workDir, { recursive: true, force: true });
  }
};
