/**
 * Per-core probe: is every core of this machine giving the attention kernel what its FMA
 * peak promises? On a shared VM a vCPU whose physical core (SMT sibling) runs another
 * tenant's load-heavy work keeps its register-only FMA peak but runs anything that touches
 * memory much slower, which drags every multi-threaded row of `bench attention` down while
 * the peak it is compared with looks normal.
 *
 * For each CPU (pinned with `taskset`, one child process per CPU) a 1-thread dense MQA
 * decode at V3.2 shapes is timed, each call right after a 10 ms FMA-peak burst on the same
 * CPU; the row is the median of the per-call ratios.
 *
 *   npm run build && npm run build:native
 *   node dist/bench/core-probe.js [--length 16K] [--seconds 5] [--rounds 1]
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { denseAttention, fmaPeak } from '../src/engine/index.js';
import { parseLength } from '../src/engine/bench.js';
import { mulberry32, percentile, sortedCopy } from '../src/util/stats.js';
import { arg } from './args.js';

interface ProbeResult {
  cpu: number;
  calls: number;
  ms_median: number;
  peak_gflops_median: number;
  /** Median over calls of (call GFLOP/s ÷ the FMA peak measured right before it). */
  fraction_p10: number;
  fraction_median: number;
  fraction_p90: number;
}

/** Child: runs on whatever CPU taskset gave it, prints one JSON line. */
function probe(cpu: number, L: number, seconds: number): ProbeResult {
  const H = 128, Dqk = 576, Dv = 512;
  const rnd = mulberry32(3);
  const kv = new Float32Array(L * Dqk).map(() => rnd() - 0.5);
  const q = new Float32Array(H * Dqk).map(() => rnd() - 0.5);
  const args = { q, kv, T: 1, H, L, Dqk, Dv, qStart: L - 1, threads: 1 };
  const flop = 2 * H * (Dqk + Dv) * L;
  denseAttention(args);
  const ms: number[] = [], peaks: number[] = [], frac: number[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || ms.length < 5) {
    const peak = fmaPeak({ threads: 1, ms: 10 });
    const s = performance.now();
    denseAttention(args);
    const dt = performance.now() - s;
    ms.push(dt);
    peaks.push(peak);
    frac.push(flop / (dt * 1e6) / peak);
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const pctl = (xs: number[], p: number) => percentile(sortedCopy(xs), p)!;
  return {
    cpu, calls: ms.length, ms_median: r3(pctl(ms, 50)), peak_gflops_median: r3(pctl(peaks, 50)),
    fraction_p10: r3(pctl(frac, 10)), fraction_median: r3(pctl(frac, 50)), fraction_p90: r3(pctl(frac, 90)),
  };
}

function main(): void {
  const L = parseLength(arg('length', '16K'));
  const seconds = Number(arg('seconds', '5'));
  const rounds = Number(arg('rounds', '1'));
  if (L === null || !(seconds > 0) || !Number.isInteger(rounds) || rounds < 1) {
    console.error('usage: node dist/bench/core-probe.js [--length 16K] [--seconds 5] [--rounds N]');
    process.exit(2);
  }
  if (process.argv.includes('--child')) {
    console.log(JSON.stringify(probe(Number(arg('cpu', '-1')), L, seconds)));
    return;
  }
  const self = fileURLToPath(import.meta.url);
  console.log(`1-thread dense MQA decode at L=${L} (128 heads, 576/512, fp32), pinned per CPU; % = median over calls of GFLOP/s ÷ the FMA peak of a 10 ms burst on the same CPU just before`);
  console.log('| round | cpu | calls | ms (median) | FMA peak GFLOP/s (median) | % of peak p10 | median | p90 |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (let round = 1; round <= rounds; round++) {
    for (let cpu = 0; cpu < cpus().length; cpu++) {
      const child = spawnSync('taskset', ['-c', String(cpu), process.execPath, self, '--child', '--cpu', String(cpu), '--length', String(L), '--seconds', String(seconds)], { encoding: 'utf8' });
      if (child.error || child.status !== 0) {
        console.error(`cpu ${cpu}: probe failed (${child.error?.message ?? child.stderr.trim()}); is taskset (util-linux) installed?`);
        process.exit(1);
      }
      const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as ProbeResult;
      const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
      console.log(`| ${round} | ${r.cpu} | ${r.calls} | ${r.ms_median.toFixed(2)} | ${r.peak_gflops_median.toFixed(0)} | ${pct(r.fraction_p10)} | ${pct(r.fraction_median)} | ${pct(r.fraction_p90)} |`);
    }
  }
}

main();
