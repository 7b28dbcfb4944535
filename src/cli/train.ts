/**
 * `dsabench train`: trains the built-in DSA model (pretrain → indexer warm-up → sparse) in
 * the native engine from a training config (train.json), writing a model directory.
 */
import type { Command } from 'commander';
import { resolve, dirname } from 'node:path';
import { DsabenchError } from '../errors.js';
import { packagePath } from '../util/package.js';
import { intFlag } from './flags.js';
import type { CommandModule } from './command.js';

interface TrainFlags {
  config?: string;
  out?: string;
  quick?: boolean;
  resume?: boolean;
  force?: boolean;
  threads?: number;
  maxMinutes?: string;
  stopAtStep?: number;
  charts: boolean;
}

export const QUICK_TRAIN_CONFIG = packagePath('data', 'models', 'quick', 'train.json');

/** The CLI's behaviour as a function (tests call it directly). Returns the model directory. */
export async function runTrain(o: TrainFlags, log?: (l: string) => void): Promise<{ out: string; finished: boolean }> {
  const { readTrainConfig, train } = await import('../model/train.js');
  if (o.quick && o.config) throw new DsabenchError('E_USAGE', 'give either --config or --quick, not both', { field: 'config' });
  const file = o.quick ? QUICK_TRAIN_CONFIG : o.config;
  if (!file) throw new DsabenchError('E_USAGE', 'missing --config <train.json> (or --quick)', { field: 'config' });
  const cfg = readTrainConfig(file);
  // default output: next to the training config, except --quick (the package's data dir stays untouched)
  const out = o.out ?? (o.quick ? resolve('dsabench-quick-model') : dirname(resolve(file)));
  let maxMinutes: number | undefined;
  if (o.maxMinutes !== undefined) {
    maxMinutes = Number(o.maxMinutes);
    if (!Number.isFinite(maxMinutes) || maxMinutes <= 0) throw new DsabenchError('E_USAGE', `--max-minutes must be a positive number, got '${o.maxMinutes}'`, { field: 'max-minutes' });
  }
  const r = await train(cfg, {
    out, resume: o.resume, force: o.force, threads: o.threads, maxMinutes, stopAtStep: o.stopAtStep, charts: o.charts, log,
  });
  return { out: r.out, finished: r.finished };
}

const cmd: CommandModule = {
  register(program: Command) {
    program
      .command('train')
      .description('Train the built-in DSA model in the native engine: pre-training, indexer warm-up (KL), sparse training; checkpoints, resume, loss/KL charts.')
      .option('--config <file>', 'training config (train.json): model, seed, batch, stages, mixture …')
      .option('--quick', 'the tiny built-in config (data/models/quick/train.json): trains in seconds, for tests')
      .option('--out <dir>', 'model directory to write (default: the config file\'s directory; --quick: ./dsabench-quick-model)')
      .option('--resume', 'continue the checkpoint in --out (same data position, optimizer state and RNG)')
      .option('--force', 'start over even if --out already holds a checkpoint')
      .option('--threads <n>', 'native threads (overrides the config\'s threads)', intFlag(1))
      .option('--max-minutes <m>', 'checkpoint and stop after this much wall time (continue with --resume)')
      .option('--stop-at-step <n>', 'checkpoint and stop once this many steps are done (continue with --resume)', intFlag(1))
      .option('--no-charts', 'skip loss.png / kl.png')
      .addHelpText(
        'after',
        `
Writes to the model directory: config.json, model.safetensors, train-state.safetensors,
train.json, metrics.jsonl (one JSON line per step), loss.png, kl.png.

Examples:
  $ dsabench train --quick --out /tmp/quick-model
  $ dsabench train --config data/models/dsa-mini/train.json --out runs/dsa-mini --threads 2
  $ dsabench train --config my-train.json --out runs/m --max-minutes 60
  $ dsabench train --config my-train.json --out runs/m --resume`,
      )
      .action(async (o: TrainFlags) => {
        await runTrain(o);
      });
  },
};
export default cmd;
