/**
 * `dsabench engine`: the native DSA engine from the command line.
 *   engine run --op <dense|indexer|topk|sparse|dsa> --in in.safetensors --out out.safetensors
 *   engine info
 */
import type { Command } from 'commander';
import { DsabenchError } from '../errors.js';
import type { CommandModule } from './command.js';

function parseThreads(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new DsabenchError('E_USAGE', `--threads must be an integer in 1..1024, got '${v}'`, { field: 'threads' });
  return n;
}

const cmd: CommandModule = {
  register(program: Command) {
    const engine = program.command('engine').description('Run the native DSA engine on safetensors files; show its build.');
    engine
      .command('run')
      .description('Run one engine op on the tensors of a safetensors file and write the results to another.')
      .requiredOption('--op <op>', 'dense | indexer | topk | sparse | dsa')
      .requiredOption('--in <file>', 'input .safetensors (q, k, v, kv, index_q, index_k, index_w, indices, scores)')
      .requiredOption('--out <file>', 'output .safetensors (out, lse, scores, indices)')
      .option('--threads <n>', 'intra-op threads (overrides __metadata__ threads; default 1)')
      .option('--simd <path>', 'kernel set: auto (the widest this CPU runs) or a name from `dsabench engine info` (kernelSets)', 'auto')
      .addHelpText(
        'after',
        `
Scalars come from the input's __metadata__ as strings: q_start, scale, topk, dv, causal,
fp8, hadamard, threads. kv [L,Dqk] selects MQA (MLA) mode; k [L,Hkv,Dqk] + v [L,Hkv,Dv] MHA.

Examples:
  $ dsabench engine run --op dense --in attn.safetensors --out dense.safetensors
  $ dsabench engine run --op dsa --in step.safetensors --out dsa.safetensors --threads 2
  $ dsabench engine run --op topk --in scores.safetensors --out idx.safetensors --simd scalar`,
      )
      .action(async (o: { op: string; in: string; out: string; threads?: string; simd: string }) => {
        const { isEngineOp, runEngineFile, ENGINE_OPS } = await import('../engine/run-file.js');
        const { setSimd, engineInfo } = await import('../engine/index.js');
        if (!isEngineOp(o.op)) throw new DsabenchError('E_USAGE', `--op must be one of ${ENGINE_OPS.join(', ')}, got '${o.op}'`, { field: 'op' });
        const threads = parseThreads(o.threads);
        setSimd(o.simd as Parameters<typeof setSimd>[0]);
        const t0 = performance.now();
        const shapes = runEngineFile(o.op, o.in, o.out, { threads });
        const ms = performance.now() - t0;
        const desc = Object.entries(shapes).map(([k, s]) => `${k} ${JSON.stringify(s)}`).join(', ');
        process.stdout.write(`${o.op}: wrote ${o.out} (${desc}) in ${ms.toFixed(1)} ms [simd ${engineInfo().simd}]\n`);
      });
    engine
      .command('info')
      .description('Print the engine build: version, SIMD path in use, supported paths, compiler flags.')
      .addHelpText('after', '\nExample:\n  $ dsabench engine info')
      .action(async () => {
        const { engineInfo } = await import('../engine/index.js');
        process.stdout.write(JSON.stringify(engineInfo(), null, 2) + '\n');
      });
  },
};
export default cmd;
