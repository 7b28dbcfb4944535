/**
 * Report generation: `generateReport` over 10 runs × 4 suites × 1,000 items (40,000 attempt
 * records, one provider per run, a long-context suite with length × depth metadata, and a
 * cost study), every format (HTML with the full drill-down and transcripts, Markdown, CSV,
 * JSON) and every chart. Run directories are written before the timed region; loading and
 * parsing them is inside it.
 *
 *   npm run build && node dist/bench/report-gen.js [--runs 10] [--items 1000] [--repeats 3]
 *
 * Prints the median wall time of --repeats generations and the split by phase.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateReport } from '../src/reports/index.js';
import { writeCostStudy, writeRun } from '../test/reports/factories.js';
import { numArg } from './args.js';

const nRuns = numArg('runs', 10);
const items = numArg('items', 1000);
const repeats = numArg('repeats', 3);

const root = mkdtempSync(join(tmpdir(), 'dsabench-report-bench-'));
const dirs: string[] = [];
for (let r = 0; r < nRuns; r++) {
  const q = 0.3 + 0.05 * r;
  dirs.push(writeRun(join(root, 'runs'), {
    run_id: `run-${String(r).padStart(2, '0')}`,
    provider: `openai:model-${r}`,
    seed: r + 1,
    suites: [
      { name: 'math', kind: 'math', items, passing: (i) => ((i * 7919 + r) % 100) / 100 < q, e2eMs: 1500 + 100 * r, costPerItem: 0.001, metrics: true },
      { name: 'code', kind: 'code', items, passing: (i) => ((i * 104729 + r) % 100) / 100 < q - 0.1, e2eMs: 2500, costPerItem: 0.002 },
      { name: 'terminal', kind: 'terminal', items, passing: (i) => ((i * 31 + r) % 100) / 100 < q - 0.2, e2eMs: 8000 },
      {
        name: 'ruler-niah', kind: 'long-context', items,
        lengths: [4096, 8192, 16384, 32768, 65536, 131072], depths: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
        lcPass: (length, depth, i) => ((i * 13 + depth) % 100) / 100 < q + 0.3 - Math.log2(length / 4096) * 0.05,
      },
    ],
  }));
}
const cost = writeCostStudy(join(root, 'cost'));

const totals: number[] = [];
let last: Awaited<ReturnType<typeof generateReport>> | null = null;
for (let k = 0; k < repeats; k++) {
  const out = join(root, `out-${k}`);
  const t0 = performance.now();
  last = await generateReport({ runs: dirs, outDir: out, cost: [cost] });
  totals.push(performance.now() - t0);
}
const sorted = [...totals].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
const t = last!.timings_ms;
const html = statSync(join(root, `out-${repeats - 1}`, 'report.html')).size;
const records = last!.runs.reduce((a, r) => a + r.samples.length, 0);
process.stdout.write(
  `report-gen: ${nRuns} runs × 4 suites × ${items} items = ${records} records, ${last!.charts.length} charts, report.html ${(html / 1e6).toFixed(1)} MB\n`
  + `  median ${(median / 1000).toFixed(2)} s over ${repeats} (all: ${totals.map((x) => (x / 1000).toFixed(2)).join(', ')} s)\n`
  + `  last run by phase: load ${Math.round(t.load)} ms, model ${Math.round(t.model)} ms, charts ${Math.round(t.charts)} ms, write ${Math.round(t.write)} ms\n`,
);
rmSync(root, { recursive: true, force: true });
if (median > 10_000) {
  process.stderr.write(`report-gen: median ${Math.round(median)} ms exceeds the 10 s budget\n`);
  process.exitCode = 1;
}
