/**
 * Code suite throughput: the built-in `code` suite (96 tasks: 74 Python, 22 JavaScript)
 * answered by the `oracle` provider and scored by the `code` scorer through the real run
 * loop: every attempt writes its program, starts a sandbox (prlimit → bwrap → setpriv →
 * python3/node), runs the tests, and is recorded in samples.jsonl.
 *
 *   npm run build && node dist/bench/code-throughput.js [--runs 5] [--workers 2] [--concurrency 8]
 *
 * Prints tasks/s (wall) per run and the median. Fails if the oracle does not score 100%.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, runEvaluation } from '../src/runner/run.js';
import { numArg } from './args.js';
import { median } from '../src/util/stats.js';

const runs = numArg('runs', 5);
const workers = numArg('workers', 2);
const concurrency = numArg('concurrency', 8);

const root = mkdtempSync(join(tmpdir(), 'dsabench-code-bench-'));
const rates: number[] = [];
try {
  for (let r = 0; r < runs; r++) {
    const out = join(root, `run-${r}`);
    const t0 = performance.now();
    const res = await runEvaluation(
      { ...DEFAULT_SETTINGS, suites: ['code'], providers: [{ spec: 'oracle' }], workers, concurrency, cache: null },
      { out },
      { progress: { quiet: true } },
    );
    const sec = (performance.now() - t0) / 1000;
    const s = res.summary.suites[0]!;
    if (s.mean !== 1) throw new Error(`oracle scored ${s.mean} on the code suite (expected 1)`);
    rates.push(res.recorded / sec);
    process.stdout.write(`run ${r + 1}: ${res.recorded} tasks in ${sec.toFixed(2)} s = ${(res.recorded / sec).toFixed(1)} tasks/s\n`);
    rmSync(out, { recursive: true, force: true });
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
process.stdout.write(`median: ${median(rates).toFixed(1)} tasks/s (workers ${workers}, concurrency ${concurrency}, ${runs} runs)\n`);
