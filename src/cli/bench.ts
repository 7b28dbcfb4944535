/**
 * `dsabench bench`: benchmark command group. Each subcommand is added by a function in
 * BENCH_SUBCOMMANDS; add yours by exporting `(group: Command) => void` and listing it.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DsabenchError } from '../errors.js';
import type { CommandModule } from './command.js';

function intOpt(v: string, name: string, lo: number, hi: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new DsabenchError('E_USAGE', `--${name} must be an integer in ${lo}..${hi}, got '${v}'`, { field: name });
  return n;
}

interface AttentionFlags {
  mode: string; lengths: string; threads: string; json?: string; chunk: string; dtype: string;
  topk: string; heads: string; reps: string; torch: boolean; simd: string;
}

/** `dsabench bench attention`: dense vs sparse vs indexer, decode or prefill, vs the FMA peak and PyTorch. */
export function addAttentionBench(group: Command): void {
  group
    .command('attention')
    .description('Dense vs sparse (fused DSA) vs indexer-only attention on the native engine at DeepSeek-V3.2 shapes, as GFLOP/s and fraction of the measured FMA peak, with PyTorch as a peer when available.')
    .option('--mode <mode>', 'decode (T=1) | prefill (a chunk of --chunk queries ending at L)', 'decode')
    .option('--lengths <list>', 'comma-separated cache lengths (1K = 1024)', '1K,2K,4K,8K,16K,32K,64K,128K')
    .option('--threads <n>', 'intra-op threads', '1')
    .option('--chunk <n>', 'queries per prefill call', '16')
    .option('--dtype <list>', 'cache storage, comma-separated: f32 | bf16 | f32,bf16 (bf16 rows then compare with f32 ones)', 'f32')
    .option('--topk <k>', 'DSA top-k', '2048')
    .option('--heads <n>', 'query heads', '128')
    .option('--reps <n>', 'max timed repetitions per row (≥3, about 1 s each)', '15')
    .option('--simd <path>', 'kernel set: auto (the widest this CPU runs) or a name from `dsabench engine info` (kernelSets)', 'auto')
    .option('--no-torch', 'skip the PyTorch peer columns')
    .option('--json <file>', 'write rows and settings as JSON')
    .addHelpText(
      'after',
      `
Rows: attention = dense | sparse (indexer + top-k + sparse attention, fused) | indexer |
sparse-kernel (the sparse attention alone), with ms_median, gflops, peak_fraction (median
over calls of GFLOP/s ÷ the FMA peak of a 10 ms burst right before the call) and
best_peak_fraction (vs the best FMA peak of the whole run).

PyTorch peer (dense rows, when python3 can import torch): the same dense computation timed
through every path torch offers — plain matmul on the BLAS torch links, sdpa (torch ≥ 2.0),
oneDNN mkldnn_linear — in alternating rounds; each row takes the fastest ("torch path" says
which; "torch CPU ms" is that path's process CPU time per call, the work done whatever else
runs, comparable with the engine's CPU ms on one thread). The header names the BLAS library
torch loaded and warns when it is the reference
BLAS (Debian's python3-torch without libopenblas0-pthread), where the plain path is several
times slower than torch can be: apt-get install python3-torch libopenblas0-pthread.

Examples:
  $ dsabench bench attention --threads 2
  $ dsabench bench attention --mode prefill --chunk 32 --lengths 4K,16K --json prefill.json
  $ dsabench bench attention --lengths 16K,128K --dtype bf16 --no-torch`,
    )
    .action(async (o: AttentionFlags) => {
      const { runAttentionBench, parseLength, formatBenchTable, DEFAULT_BENCH } = await import('../engine/bench.js');
      if (o.mode !== 'decode' && o.mode !== 'prefill') throw new DsabenchError('E_USAGE', `--mode must be decode or prefill, got '${o.mode}'`, { field: 'mode' });
      const dtypes = [...new Set(o.dtype.split(',').map((s) => s.trim()))];
      for (const d of dtypes)
        if (d !== 'f32' && d !== 'bf16') throw new DsabenchError('E_USAGE', `--dtype must list f32 and/or bf16, got '${o.dtype}'`, { field: 'dtype' });
      const lengths = o.lengths.split(',').map((s) => {
        const n = parseLength(s);
        if (n === null || n > 2 ** 22) throw new DsabenchError('E_USAGE', `--lengths: '${s}' is not a length like 4096 or 4K (max 4M)`, { field: 'lengths' });
        return n;
      });
      const res = runAttentionBench({
        ...DEFAULT_BENCH,
        mode: o.mode,
        lengths,
        threads: intOpt(o.threads, 'threads', 1, 1024),
        chunk: intOpt(o.chunk, 'chunk', 1, 1 << 16),
        dtypes: dtypes as Array<'f32' | 'bf16'>,
        topk: intOpt(o.topk, 'topk', 1, 1 << 20),
        heads: intOpt(o.heads, 'heads', 1, 4096),
        reps: intOpt(o.reps, 'reps', 3, 1000),
        torch: o.torch ? 'auto' : 'off',
        simd: o.simd as typeof DEFAULT_BENCH.simd,
        log: (l) => process.stderr.write(l + '\n'),
      });
      process.stdout.write(formatBenchTable(res) + '\n');
      if (o.json) writeFileSync(o.json, JSON.stringify(res, null, 2) + '\n');
    });
}

/** Bench subcommands; add a line per subcommand module. */
export const BENCH_SUBCOMMANDS: ReadonlyArray<(group: Command) => void> = [addAttentionBench];

const cmd: CommandModule = {
  register(program: Command) {
    const group = program
      .command('bench')
      .description('Benchmarks of dsabench components (see the subcommands).')
      .addHelpText('after', '\nExample:\n  $ dsabench bench attention --threads 2 --json bench.json');
    for (const add of BENCH_SUBCOMMANDS) add(group);
  },
};
export default cmd;
