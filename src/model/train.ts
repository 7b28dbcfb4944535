/**
 * Training of the built-in model with the DSA recipe, driven from TS over the native model:
 *
 *   pretrain  dense attention, LM loss, AdamW on the main parameters;
 *   warmup    dense attention, main model frozen, indexer trained by KL to the main attention;
 *   sparse    top-k attention, LM loss on the main parameters + KL on the indexer (detached).
 *
 * Each step: batch i of the stage's data stream (a pure function of seed, stage and i) →
 * lossAndGrad → adamw with the stage's warm-up + cosine learning rate. AdamW moments start
 * from zero at each stage (each stage updates a different parameter group), so the 1-based
 * step of bias correction is the step within the stage.
 *
 * Output directory: config.json, model.safetensors, train-state.safetensors (moments +
 * position), train.json (the resolved training config), metrics.jsonl (one line per step),
 * loss.png and kl.png. A checkpoint every `checkpoint_every` steps and at each stage's end;
 * resuming restores params, moments and the position, so a killed run continues without
 * redoing or skipping a step (bitwise identical when the native code is deterministic).
 */
import { existsSync, readFileSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DsabenchError } from '../errors.js';
import { createNativeModel, modelLayout, numParams, type NativeModel, type TensorSpec, type TrainStage } from './native.js';
import { BatchStream, mixSeed, type MixtureTask } from './data.js';
import { heldOutEval, type HeldOut } from './held-out.js';
import type { StageConfig, TrainConfig } from './train-config.js';
import { learningRate } from './schedule.js';
import {
  CONFIG_FILE, loadModel, loadTrainState, saveModel, saveTrainState, STATE_FILE, WEIGHTS_FILE, writeFileAtomic,
} from './checkpoint.js';
import { canonicalJson } from '../util/hash.js';

export { parseTrainConfig, readTrainConfig, type StageConfig, type TrainConfig } from './train-config.js';

/**
 * Continued training from another checkpoint (DSA's recipe starts from a dense model): every
 * main tensor is copied from `spec` and must match it in name and shape; indexer tensors are
 * copied where their shapes match and otherwise keep their fresh initialisation, so a recipe
 * may reshape the indexer. Settings without weights (rope_theta, logn_attention_base,
 * index_topk) may differ. `params` holds the fresh initialisation on entry.
 */
export function initFrom(spec: string, layout: readonly TensorSpec[], params: Float32Array): string {
  const init = loadModel(spec);
  const src = new Map(modelLayout(init.config).map((t) => [t.name, t]));
  const fresh: string[] = [];
  for (const t of layout) {
    const s = src.get(t.name);
    const same = s !== undefined && s.shape.length === t.shape.length && s.shape.every((d, i) => d === t.shape[i]);
    if (!same) {
      if (t.group === 'main')
        throw new DsabenchError('E_CONFIG_INVALID', `init model ${init.dir}: ${t.name} is ${s ? `[${s.shape.join(', ')}]` : 'missing'}, the training config's model needs [${t.shape.join(', ')}] (only indexer tensors may change shape)`, { field: 'init' });
      fresh.push(t.name);
      continue;
    }
    params.set(init.params.subarray(s.offset, s.offset + s.size), t.offset);
  }
  return `init: weights from ${init.dir}${fresh.length ? `; ${fresh.length} indexer tensor${fresh.length > 1 ? 's' : ''} reshaped, freshly initialised` : ''}`;
}

/** Which parameters each stage updates. */
export const STAGE_GROUP: Record<TrainStage, 'main' | 'indexer' | 'all'> = { pretrain: 'main', warmup: 'indexer', sparse: 'all' };

/** Whether step `i` (0-based, within a sparse stage) is one of the evenly spread dense steps. */
export function isDenseStep(denseFraction: number, i: number): boolean {
  return denseFraction > 0 && Math.floor((i + 1) * denseFraction) > Math.floor(i * denseFraction);
}

// ---------------------------------------------------------------- state and metrics

const METRICS_FILE = 'metrics.jsonl';

/** Position of a run, stored in train-state.safetensors. */
export interface TrainPosition {
  /** Steps completed over all stages. */
  step: number;
  /** Index of the current stage and steps completed in it (== its steps when finished). */
  stage: number;
  stage_step: number;
  /** Real (non-padding) input tokens seen. */
  tokens: number;
  /** Training time over all sessions (seconds). */
  elapsed_s: number;
  seed: number;
}

export interface MetricsLine {
  step: number;
  stage: TrainStage;
  loss: number;
  lm_loss: number;
  kl_loss: number;
  lr: number;
  grad_norm: number;
  tokens: number;
  tokens_per_s: number;
  elapsed_s: number;
  length: number;
  /** A dense step of a sparse stage (dense_fraction): LM loss only, no indexer KL. */
  dense?: true;
}

export interface EvalLine {
  step: number;
  stage: TrainStage;
  eval: {
    attention: 'dense' | 'sparse'; topk?: number; length: number; examples: number;
    accuracy: number; by_task: Record<string, number>; answer_loss: number; answer_token_accuracy: number;
  };
}

function parsePosition(raw: unknown, file: string): TrainPosition {
  const o = raw as Partial<Record<keyof TrainPosition, unknown>>;
  const keys: Array<keyof TrainPosition> = ['step', 'stage', 'stage_step', 'tokens', 'elapsed_s', 'seed'];
  for (const k of keys)
    if (typeof o?.[k] !== 'number') throw new DsabenchError('E_CHECKPOINT', `${file}: __metadata__.state.${k} is missing or not a number`, { file, field: `state.${k}` });
  return o as TrainPosition;
}

/** Rewrites metrics.jsonl keeping only lines of steps ≤ `step` (a resumed run re-logs the rest). */
function trimMetrics(file: string, step: number): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8').split('\n').filter((l) => {
    if (!l.trim()) return false;
    try {
      return (JSON.parse(l) as { step: number }).step <= step;
    } catch {
      return false;
    }
  });
  writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
}

export function readMetrics(file: string): { steps: MetricsLine[]; evals: EvalLine[] } {
  const steps: MetricsLine[] = [];
  const evals: EvalLine[] = [];
  if (!existsSync(file)) return { steps, evals };
  for (const l of readFileSync(file, 'utf8').split('\n')) {
    if (!l.trim()) continue;
    const o = JSON.parse(l) as MetricsLine | EvalLine;
    if ('eval' in o) evals.push(o);
    else steps.push(o);
  }
  return { steps, evals };
}

// ---------------------------------------------------------------- the loop

export interface TrainOptions {
  out: string;
  resume?: boolean;
  /** Overwrite an existing checkpoint in `out` without resuming. */
  force?: boolean;
  threads?: number;
  /** Stop (after a checkpoint) once this much wall time has passed in this session. */
  maxMinutes?: number;
  /** Stop (after a checkpoint) once this many steps are complete over all stages. */
  stopAtStep?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Render loss.png / kl.png at the end (default true). */
  charts?: boolean;
  /** Checkpoint and stop on SIGINT / SIGTERM (default true). */
  handleSignals?: boolean;
}

export interface TrainResult {
  out: string;
  position: TrainPosition;
  finished: boolean;
  params: Float32Array;
  layout: TensorSpec[];
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

/** What a run starts from: a resumed checkpoint, or step 0 with zeroed buffers. */
interface RunStart {
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  pos: TrainPosition;
}

/** Checks `out` against --resume / --force and loads the checkpoint to resume, or starts afresh
 *  (metrics.jsonl emptied). */
function openRun(cfg: TrainConfig, opts: TrainOptions, out: string, n: number, log: (line: string) => void): RunStart {
  const hasCkpt = existsSync(join(out, WEIGHTS_FILE)) && existsSync(join(out, STATE_FILE));
  if (hasCkpt && !opts.resume && !opts.force)
    throw new DsabenchError('E_USAGE', `${out} already holds a training checkpoint; pass --resume to continue it or --force to start over`, { file: out });
  if (opts.resume && !hasCkpt)
    throw new DsabenchError('E_CHECKPOINT', `--resume: ${out} holds no checkpoint (${WEIGHTS_FILE} and ${STATE_FILE})`, { file: out });
  mkdirSync(out, { recursive: true });
  const metricsFile = join(out, METRICS_FILE);
  if (!opts.resume) {
    writeFileSync(metricsFile, '');
    const pos: TrainPosition = { step: 0, stage: 0, stage_step: 0, tokens: 0, elapsed_s: 0, seed: cfg.seed };
    return { params: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n), pos };
  }
  const loaded = loadModel(out);
  if (canonicalJson(loaded.config) !== canonicalJson(cfg.model))
    throw new DsabenchError('E_CHECKPOINT', `--resume: ${join(out, CONFIG_FILE)} differs from the training config's model`, { file: join(out, CONFIG_FILE) });
  const st = loadTrainState(out, n);
  const pos = parsePosition(st.state, join(out, STATE_FILE));
  if (loaded.metadata['step'] !== String(pos.step))
    throw new DsabenchError('E_CHECKPOINT', `--resume: ${WEIGHTS_FILE} is at step ${loaded.metadata['step']} but ${STATE_FILE} at step ${pos.step} (a checkpoint write was interrupted)`, { file: out });
  if (pos.seed !== cfg.seed)
    throw new DsabenchError('E_CHECKPOINT', `--resume: the checkpoint was trained with seed ${pos.seed}, the config says ${cfg.seed}`, { file: out, field: 'seed' });
  trimMetrics(metricsFile, pos.step);
  log(`resuming ${out} at step ${pos.step} (stage ${pos.stage + 1}/${cfg.stages.length}, step ${pos.stage_step} in it)`);
  return { params: loaded.params, m: st.m, v: st.v, pos };
}

/** A stage's data streams and optimiser settings. */
interface StagePlan {
  stream: BatchStream;
  /** The dense steps' stream (the main one unless the stage has dense_lengths). */
  denseStream: BatchStream;
  sched: { lr: number; minLr: number; warmupSteps: number; steps: number };
  group: 'main' | 'indexer' | 'all';
  topk: number | undefined;
}

/** The fixed parts of a run that its steps use. */
interface RunEnv {
  out: string;
  threads: number;
  log: (line: string) => void;
  layout: TensorSpec[];
  model: NativeModel;
  /** Steps over all stages. */
  total: number;
}

/**
 * One session of a training run: the stage loop from the start position to the end or a stop
 * (time, step or signal), with checkpoints, held-out evaluations and metrics lines on the way.
 */
class TrainingRun {
  readonly pos: TrainPosition;
  private readonly params: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly grad: Float32Array;
  private readonly metricsFile: string;
  private readonly t0 = performance.now();
  private readonly elapsed0: number;
  private readonly stepsAtStart: number;
  private interrupted = false;
  // Tokens and start of the current progress-line window (tok/s in the log).
  private windowTokens = 0;
  private windowStart = 0;

  constructor(private readonly cfg: TrainConfig, private readonly opts: TrainOptions, private readonly env: RunEnv, start: RunStart) {
    this.pos = start.pos;
    this.params = start.params;
    this.m = start.m;
    this.v = start.v;
    this.grad = new Float32Array(start.params.length);
    this.metricsFile = join(env.out, METRICS_FILE);
    this.elapsed0 = start.pos.elapsed_s;
    this.stepsAtStart = start.pos.step;
  }

  /** Runs stages until the end or a stop; true when every stage is done. */
  async run(): Promise<boolean> {
    // Ctrl-C / SIGTERM: checkpoint after the current step and stop (a second signal exits at
    // once). The loop yields to the event loop once per step so the handler gets to run.
    const onSignal = (sig: NodeJS.Signals): void => {
      if (this.interrupted) process.exit(130);
      this.interrupted = true;
      this.env.log(`${sig}: stopping after this step (checkpoint in ${this.env.out}); again to exit at once`);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
    if (this.opts.handleSignals !== false) for (const sg of signals) process.on(sg, onSignal);
    try {
      this.windowStart = performance.now();
      while (this.pos.stage < this.cfg.stages.length) if (await this.runStage(this.pos.stage)) break;
    } finally {
      for (const sg of signals) process.off(sg, onSignal);
    }
    return this.pos.stage >= this.cfg.stages.length;
  }

  /** Stage `si` from the position's step in it; true when the run stops (time, step or signal). */
  private async runStage(si: number): Promise<boolean> {
    const { cfg, pos } = this;
    const st = cfg.stages[si]!;
    const plan = this.plan(si);
    if (pos.stage_step === 0) {
      this.m.fill(0);
      this.v.fill(0);
    }
    while (pos.stage_step < st.steps) {
      const now = this.step(st, plan);
      if (pos.stage_step === st.steps) break; // the stage-end checkpoint below covers this step
      const timeUp = this.timeUp(now);
      await new Promise<void>((r) => setImmediate(r));
      const stepUp = this.stepUp();
      if (pos.step % cfg.checkpoint_every === 0 || timeUp || stepUp) this.checkpoint();
      if (cfg.eval_every > 0 && pos.step % cfg.eval_every === 0) this.evaluate(si);
      if (timeUp || stepUp) return true;
    }
    // stage finished: move the position to the next stage, then checkpoint
    pos.stage++;
    pos.stage_step = 0;
    this.checkpoint();
    if (cfg.eval_every > 0) this.evaluate(si);
    return this.timeUp(performance.now()) || this.stepUp();
  }

  private timeUp(now: number): boolean {
    return this.opts.maxMinutes !== undefined && (now - this.t0) / 60000 >= this.opts.maxMinutes;
  }

  private stepUp(): boolean {
    return (this.opts.stopAtStep !== undefined && this.pos.step >= this.opts.stopAtStep) || this.interrupted;
  }

  private plan(si: number): StagePlan {
    const { cfg } = this;
    const st = cfg.stages[si]!;
    // The stage's batches; `salt` gives the dense steps of a sparse stage their own stream
    // when they have their own lengths.
    const streamOf = (lengths: number[], ...salt: number[]): BatchStream => new BatchStream({
      seed: mixSeed(1_000_000 + cfg.seed, si, ...salt),
      lengths,
      mixture: st.mixture,
      batch: st.batch ?? cfg.batch,
      promptWeight: st.prompt_weight ?? cfg.prompt_weight,
      answerWeight: cfg.answer_weight,
    }, `stages[${si}]`);
    const stream = streamOf(st.lengths);
    return {
      stream,
      denseStream: st.dense_lengths ? streamOf(st.dense_lengths, 1) : stream,
      sched: { lr: st.lr, minLr: st.min_lr, warmupSteps: st.warmup_steps, steps: st.steps },
      group: STAGE_GROUP[st.stage],
      topk: st.stage === 'sparse' ? st.topk ?? cfg.model.index_topk : undefined,
    };
  }

  /** One optimiser step at the position; logs and appends its metrics line. Returns its end time. */
  private step(st: StageConfig, plan: StagePlan): number {
    const { cfg, pos, env } = this;
    const stepStart = performance.now();
    const lr = learningRate(plan.sched, pos.stage_step);
    const dense = isDenseStep(st.dense_fraction ?? 0, pos.stage_step);
    const b = (dense ? plan.denseStream : plan.stream).batch(pos.stage_step);
    const r = env.model.lossAndGrad({
      tokens: b.tokens, targets: b.targets, weights: b.weights, batch: b.batch, length: b.length,
      stage: dense ? 'pretrain' : st.stage, topk: plan.topk, threads: env.threads, grad: this.grad,
    });
    if (!Number.isFinite(r.loss))
      throw new DsabenchError('E_RUN', `non-finite loss (${r.loss}) at step ${pos.step + 1} (stage ${st.stage}, lr ${lr.toExponential(2)}); the last checkpoint in ${env.out} is intact — lower lr or raise clip and --resume`, { file: env.out });
    const { gradNorm } = env.model.adamw({
      grad: this.grad, m: this.m, v: this.v, step: pos.stage_step + 1, lr, beta1: cfg.beta1, beta2: cfg.beta2, eps: cfg.eps,
      weightDecay: st.weight_decay, clip: st.clip, group: dense ? STAGE_GROUP.pretrain : plan.group, threads: env.threads,
    });
    pos.step++;
    pos.stage_step++;
    pos.tokens += b.realTokens;
    this.windowTokens += b.realTokens;
    const now = performance.now();
    const line: MetricsLine = {
      step: pos.step, stage: st.stage, loss: r.loss, lm_loss: r.lmLoss, kl_loss: r.klLoss, lr, grad_norm: gradNorm,
      tokens: pos.tokens, tokens_per_s: b.realTokens / Math.max(1e-9, (now - stepStart) / 1000), elapsed_s: this.elapsed0 + (now - this.t0) / 1000,
      length: b.length, ...(dense ? { dense: true as const } : {}),
    };
    if (pos.step % cfg.log_every === 0 || pos.stage_step === st.steps) this.logStep(line, now);
    appendFileSync(this.metricsFile, JSON.stringify(line) + '\n');
    return now;
  }

  /** The progress line of a step: its losses, the window's tokens/s, elapsed time and ETA. */
  private logStep(line: MetricsLine, now: number): void {
    const rate = this.windowTokens / Math.max(1e-9, (now - this.windowStart) / 1000);
    const eta = ((now - this.t0) / 1000 / (this.pos.step - this.stepsAtStart)) * (this.env.total - this.pos.step);
    this.env.log(`step ${line.step}/${this.env.total} ${line.stage}${line.dense ? ' (dense step)' : ''} loss ${line.loss.toFixed(4)} lm ${line.lm_loss.toFixed(4)} kl ${line.kl_loss.toFixed(4)} lr ${line.lr.toExponential(2)} |g| ${line.grad_norm.toFixed(3)} ${Math.round(rate)} tok/s elapsed ${fmtDuration(line.elapsed_s)} ETA ${fmtDuration(eta)}`);
    this.windowTokens = 0;
    this.windowStart = now;
  }

  private checkpoint(): void {
    const { cfg, pos, env } = this;
    pos.elapsed_s = this.elapsed0 + (performance.now() - this.t0) / 1000;
    const stage = cfg.stages[Math.min(pos.stage, cfg.stages.length - 1)]!;
    // state first: a kill between the two writes leaves mismatched steps, caught on resume
    saveTrainState(env.out, this.m, this.v, pos, { step: pos.step });
    saveModel(env.out, cfg.model, env.layout, this.params, { step: pos.step, stage: stage.stage, stages_done: pos.stage, tokens: pos.tokens });
  }

  /** Held-out accuracy with stage `si`'s tasks, attention and longest length, into metrics.jsonl. */
  private evaluate(si: number): void {
    const { cfg, pos, env } = this;
    const st = cfg.stages[si]!;
    const tasks = (Object.keys(st.mixture) as MixtureTask[]).filter((k) => (st.mixture[k] ?? 0) > 0);
    const lengths = [Math.max(...st.lengths)];
    const attention = st.stage === 'sparse' ? 'sparse' : 'dense';
    const topk = st.stage === 'sparse' ? st.topk ?? cfg.model.index_topk : undefined;
    let res: HeldOut;
    try {
      res = heldOutEval(env.model, { seed: cfg.seed, lengths, tasks, examples: cfg.eval_examples, attention, topk, threads: env.threads, vocab: cfg.model.vocab_size });
    } catch (e) {
      env.log(`held-out eval skipped: ${(e as Error).message}`);
      return;
    }
    const line: EvalLine = { step: pos.step, stage: st.stage, eval: {
        attention, ...(topk ? { topk } : {}), length: lengths[0]!, examples: cfg.eval_examples,
        accuracy: res.accuracy, by_task: res.byTask, answer_loss: res.answerLoss, answer_token_accuracy: res.answerTokenAccuracy,
      } };
    appendFileSync(this.metricsFile, JSON.stringify(line) + '\n');
    env.log(`eval step ${pos.step}: held-out accuracy ${(res.accuracy * 100).toFixed(1)}%, answer loss ${res.answerLoss.toFixed(3)}, answer tokens ${(res.answerTokenAccuracy * 100).toFixed(1)}% right (${attention}${topk ? ` k=${topk}` : ''}, ${cfg.eval_examples} examples at ${lengths[0]} tokens)`);
  }
}

export async function train(cfg: TrainConfig, opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const out = resolve(opts.out);
  const threads = opts.threads ?? cfg.threads;
  const config = cfg.model;
  const layout = modelLayout(config);
  const n = numParams(layout);
  const start = openRun(cfg, opts, out, n, log);
  const model = createNativeModel(config, start.params);
  if (!opts.resume) model.initParams(cfg.seed);
  if (!opts.resume && cfg.init) log(initFrom(cfg.init, layout, start.params));
  writeFileAtomic(join(out, 'train.json'), JSON.stringify(cfg, null, 2) + '\n');

  const total = cfg.stages.reduce((s, st) => s + st.steps, 0);
  log(`model: ${(n / 1e6).toFixed(2)}M parameters (${config.num_hidden_layers} layers, hidden ${config.hidden_size}); ` +
    `stages: ${cfg.stages.map((st) => `${st.stage} ${st.steps}`).join(' → ')} (${total} steps, batch ${cfg.batch}, ${threads} thread${threads > 1 ? 's' : ''}); out: ${out}`);
  const run = new TrainingRun(cfg, opts, { out, threads, log, layout, model, total }, start);
  const finished = await run.run();
  const pos = run.pos;
  if (finished && opts.charts !== false) {
    try {
      log(`charts: ${(await renderTrainingCharts(out)).join(', ')}`);
    } catch (e) {
      log(`charts not rendered: ${(e as Error).message}`);
    }
  }
  log(finished
    ? `finished: ${pos.step} steps, ${pos.tokens} tokens in ${fmtDuration(pos.elapsed_s)}; model in ${out}`
    : `stopped at step ${pos.step}/${total}; continue with --resume (checkpoint in ${out})`);
  return { out, position: { ...pos }, finished, params: start.params, layout };
}

/** Renders loss.png and kl.png from out/metrics.jsonl; returns the files written. */
export async function renderTrainingCharts(out: string): Promise<string[]> {
  const { lossChart, klChart } = await import('./metrics-chart.js');
  const { renderChart } = await import('../util/chart-render.js');
  const { steps } = readMetrics(join(out, METRICS_FILE));
  const files: string[] = [];
  for (const [name, cfg] of [['loss.png', lossChart(steps)], ['kl.png', klChart(steps)]] as const) {
    if (!cfg) continue;
    writeFileAtomic(join(out, name), renderChart(cfg));
    files.push(join(out, name));
  }
  return files;
}
