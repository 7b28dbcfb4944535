/**
 * Scorer `terminal`: copies the task's tests in and runs them over what the agent left:
 * in a fresh sandbox over /app (host-tools environments), or in the attempt's own container
 * (Dockerfile environments; removed afterwards). Score = 1 iff every test passed (TB 1.x:
 * every test in pytest's summary, else exit 0) or the Harbor reward (0..1; pass iff 1).
 *
 * The runner gives the solver and the scorer the same work dir, so the tests see the
 * agent's work; when the environment was never built there (a plain chat solver, or the
 * solver failed early), it is built now and the tests run on the untouched environment.
 * A task that cannot run here (no container engine, an image that cannot be built) gets
 * verdict `unsupported` with the reason: the runner counts it apart, not as 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Item, Score, ScoreContext, ScoreFn } from '../types.js';
import { defineScorer, scoreFn } from './scorer.js';
import { parseTerminalTarget } from '../sandbox/terminal/target.js';
import { openTaskEnv } from '../sandbox/terminal/backend.js';

/** No options: the task folder says how its tests run. */
export const terminalEntry = defineScorer({
  name: 'terminal',
  sandbox: 'runs the task\'s tests in it',
  score: (_output, item, _options, ctx) => scoreTerminal(item, ctx),
});

/** The entry as a function of raw options. */
export const terminalScorer: ScoreFn = scoreFn(terminalEntry);

async function scoreTerminal(item: Item, ctx: ScoreContext): Promise<Score> {
  const t = parseTerminalTarget(item.target, item.id);
  if (t.unsupported) {
    return { value: 0, pass: false, details: { verdict: 'unsupported', reason: t.unsupported } };
  }
  const own = ctx.workDir === undefined;
  const workDir = ctx.workDir ?? mkdtempSync(join(tmpdir(), 'dsabench-term-'));
  const f = { ...(ctx.unsafeNoSandbox ? { unsafeNoSandbox: true } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) };
  try {
    const opened = await openTaskEnv(workDir, t, f);
    if (!opened.ok) {
      return 'unsupported' in opened
        ? { value: 0, pass: false, details: { verdict: 'unsupported', reason: opened.unsupported } }
        : { value: 0, pass: false, details: { verdict: 'error', reason: opened.setupError } };
    }
    try {
      const v = await opened.env.verify();
      return {
        value: v.reward,
        pass: v.passed,
        details: {
          verdict: v.verdict, reason: v.reason, reward: v.reward, exit_code: v.exit_code, wall_ms: v.wall_ms, test_output: v.output_tail,
          environment: opened.env.backend, ...(opened.env.image ? { image: opened.env.image } : {}),
        },
      };
    } finally {
      await opened.env.close();
    }
  } finally {
    if (own) rmSync(workDir, { recursive: true, force: true });
  }
}
