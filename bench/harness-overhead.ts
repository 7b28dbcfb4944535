/**
 * Harness overhead: how many trivial attempts per second the run loop completes on the
 * `oracle` provider with the exact_match scorer (render prompt, solve, score in the pool,
 * write samples.jsonl, progress), i.e. everything except the model.
 *
 *   npm run build && node dist/bench/harness-overhead.js [--items 20000] [--runs 5] [--workers 1]
 *
 * Prints attempts/s (wall) and attempts per CPU-second (user + system time of the whole
 * process, all threads): the "per core" figure. Median of --runs runs.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, runEvaluation } from '../src/runner/run.js';
import { numArg } from './args.js';
import { median } from '../src/util/stats.js';

const items = numArg('items', 20000);
const runs = numArg('runs', 5);
const workers = numArg('workers', 1);
const concurrency = numArg('concurrency', 64);

const root = mkdtempSync(join(tmpdir(), 'dsabench-overhead-'));
const suiteDir = join(root, 'suite');
mkdirSync(suiteDir);
writeFileSync(join(suiteDir, 'suite.json'), JSON.stringify({ name: 'trivial', kind: 'math', scorer: { name: 'exact_match' }, prompt: { template: 'Say {x}.' } }));
let lines = '';
for (let i = 0; i < items; i++) lines += JSON.stringify({ id: `t${i}`, input: { x: i }, target: String(i), reference: String(i) }) + '\n';
writeFileSync(join(suiteDir, 'items.jsonl'), lines);

const wall: number[] = [];
const perCpu: number[] = [];
for (let r = 0; r < runs; r++) {
  const out = join(root, `run-${r}`);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const res = await runEvaluation(
    { ...DEFAULT_SETTINGS, suites: [suiteDir], providers: [{ spec: 'oracle' }], workers, concurrency, cache: null },
    { out },
    { progress: { quiet: true } },
  );
  const sec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  if (res.summary.suites[0]!.mean !== 1) throw new Error('oracle did not score 100%');
  wall.push(res.recorded / sec);
  perCpu.push(res.recorded / cpuSec);
  process.stdout.write(`run ${r + 1}: ${res.recorded} attempts in ${sec.toFixed(2)} s = ${(res.recorded / sec).toFixed(0)}/s wall, ${(res.recorded / cpuSec).toFixed(0)}/CPU-s\n`);
  rmSync(out, { recursive: true, force: true });
}
rmSync(root, { recursive: true, force: true });
process.stdout.write(`median: ${median(wall).toFixed(0)} attempts/s wall, ${median(perCpu).toFixed(0)} attempts per CPU-second (workers ${workers}, concurrency ${concurrency}, ${items} items)\n`);
