/**
 * Terminal-Bench 1.x decides "resolved" from pytest's output, not from the test script's
 * exit status: the "short test summary info" section (pytest -rA) lists every test with
 * its outcome, and a task is resolved iff every listed test PASSED. A run-tests.sh whose
 * last command is not pytest (or that swallows its status) is judged the same way here.
 * Output without that section falls back to the exit status (dsabench's own tasks, whose
 * run-tests.sh are plain shell checks).
 */
export type PytestOutcome = 'PASSED' | 'FAILED' | 'ERROR' | 'SKIPPED' | 'XFAIL' | 'XPASS';

export interface PytestSummary {
  tests: Array<{ name: string; outcome: PytestOutcome }>;
  /** Every listed test passed (and there is at least one). */
  resolved: boolean;
}

const LINE = /^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\s+(?:\[\d+\]\s+)?(\S+)/;

/** The last short test summary in `output`, or null when there is none with a test in it. */
export function parsePytestSummary(output: string): PytestSummary | null {
  const at = output.lastIndexOf('short test summary info');
  if (at < 0) return null;
  const tests: PytestSummary['tests'] = [];
  for (const raw of output.slice(at).split('\n').slice(1)) {
    // eslint-disable-next-line no-control-regex -- ESC starts the colour codes pytest may print
    const line = raw.replace(/\x1b\[[0-9;]*m/g, '').trim();
    if (/^=+/.test(line)) break; // the closing "=== 3 passed in 0.1s ===" line
    const m = LINE.exec(line);
    if (m) tests.push({ outcome: m[1] as PytestOutcome, name: m[2]! });
  }
  if (tests.length === 0) return null;
  return { tests, resolved: tests.every((t) => t.outcome === 'PASSED') };
}
