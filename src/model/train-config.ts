/**
 * The training config of `dsabench train --config FILE`: checked against
 * schemas/train.schema.json (ajv, defaults filled from the schema), then the rules a schema
 * cannot state (the model's own checks, row lengths ≤ its max_position_embeddings, the stage
 * order, min_lr ≤ lr, warmup_steps ≤ steps). Every error is an E_CONFIG_INVALID naming the
 * file and the field as a path (`stages[1].mixture.copy`) and saying what was expected.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { DsabenchError } from '../errors.js';
import { packagePath } from '../util/package.js';
import { parseModelConfig, readModelConfig, type ModelConfig } from './config.js';
import type { MixtureTask } from './data.js';
import type { TrainStage } from './native.js';

export interface StageConfig {
  stage: TrainStage;
  steps: number;
  lr: number;
  min_lr: number;
  warmup_steps: number;
  weight_decay: number;
  clip: number;
  lengths: number[];
  mixture: Partial<Record<MixtureTask, number>>;
  /** Sparse stage: k of the top-k selection (default config.index_topk). */
  topk?: number;
  /** Rows per batch (default: the top-level batch). */
  batch?: number;
  /** Sparse stage: the fraction of steps (evenly interleaved) trained with dense attention
   *  (LM loss, main parameters only) instead of top-k. Sparse steps alone leave the scores of
   *  keys that are never selected untrained, and dense attention then drifts away; a share
   *  of dense steps keeps one model good in both modes. Default 0 (the paper's recipe). */
  dense_fraction?: number;
  /** Sparse stage: row lengths of its dense steps (default: `lengths`). Dense attention keeps
   *  [L, L] matrices in training, so a stage whose sparse steps run at 16K can take its dense
   *  steps at a few K. */
  dense_lengths?: number[];
  /** Loss weight of prompt targets in this stage (default: the top-level prompt_weight). On a
   *  long row the prompt's LM loss is most of the gradient (16K haystack bytes at 0.1 against a
   *  37-byte uuid answer at 1: the answer is 2% of the loss); a late stage can lower it to
   *  train what is graded. */
  prompt_weight?: number;
}

export interface TrainConfig {
  model: ModelConfig;
  seed: number;
  threads: number;
  batch: number;
  stages: StageConfig[];
  checkpoint_every: number;
  /** Held-out accuracy (greedy decoding) every N steps and at each stage's end; 0 = off. */
  eval_every: number;
  eval_examples: number;
  log_every: number;
  prompt_weight: number;
  answer_weight: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** A model spec to start from instead of fresh initialisation (its config must match). */
  init?: string;
}

export const TRAIN_SCHEMA_FILE = 'train.schema.json';

/** The stage kinds in the order a recipe must keep. */
const STAGE_ORDER: readonly TrainStage[] = ['pretrain', 'warmup', 'sparse'];

/** A config as the schema leaves it: shapes and ranges checked, defaults filled in. */
type RawStage = Omit<StageConfig, 'min_lr'> & { min_lr?: number; $comment?: unknown };
type RawConfig = Omit<TrainConfig, 'model' | 'stages'> & { model: string | Record<string, unknown>; stages: RawStage[]; $comment?: unknown };

let validate: ValidateFunction | undefined;

function trainValidator(): ValidateFunction {
  if (!validate) {
    // useDefaults: the schema's `default`s are the one list of defaults; verbose: errors carry
    // the offending value and the schema around it, for the messages below.
    const ajv = new Ajv({ allErrors: false, verbose: true, useDefaults: true, strict: false });
    validate = ajv.compile(JSON.parse(readFileSync(packagePath('schemas', TRAIN_SCHEMA_FILE), 'utf8')) as object);
  }
  return validate;
}

/** JSON pointer → the path the messages use: `/stages/1/lengths/0` → `stages[1].lengths[0]`. */
export function fieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : out ? `.${key}` : key;
  }
  return out || '(root)';
}

/** A local `$ref` (`#/definitions/name`) → the schema it names; anything else as it is. */
function deref(schema: unknown): Record<string, unknown> {
  const s = (schema ?? {}) as Record<string, unknown>;
  const ref = s['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/definitions/')) return s;
  const root = trainValidator().schema as { definitions?: Record<string, Record<string, unknown>> };
  return root.definitions?.[ref.slice('#/definitions/'.length)] ?? s;
}

/** What a schema accepts, in words: "an integer ≥ 1", "a number in [0, 1]", "one of a, b". */
function expected(schema: unknown): string {
  const s = deref(schema);
  if (Array.isArray(s['enum'])) return `one of ${(s['enum'] as unknown[]).join(', ')}`;
  const types = ([] as unknown[]).concat(s['type'] ?? []).map(String);
  const lo = s['minimum'] as number | undefined, hi = s['maximum'] as number | undefined, gt = s['exclusiveMinimum'] as number | undefined;
  const range = lo !== undefined && hi !== undefined ? ` in [${lo}, ${hi}]` : lo !== undefined ? ` ≥ ${lo}` : gt !== undefined ? ` > ${gt}` : hi !== undefined ? ` ≤ ${hi}` : '';
  const words = types.map((t) => {
    if (t === 'integer' || t === 'number') return `${t === 'integer' ? 'an integer' : 'a number'}${range}`;
    if (t === 'array') return (s['minItems'] as number | undefined) ? 'a non-empty list' : 'a list';
    if (t === 'object') return 'an object';
    return `a ${t}`;
  });
  return words.join(' or ') || 'a value';
}

/** A short schema description as an aside in a message (lower-cased, no final period); long
 *  ones (the root's, the stage kinds') would bury the point. */
function aside(schema: unknown): string {
  const d = deref(schema)['description'];
  if (typeof d !== 'string' || d.length > 100) return '';
  const firstWord = /^\S+/.exec(d)![0];
  const text = /[A-Z]/.test(firstWord.slice(1)) ? d : d[0]!.toLowerCase() + d.slice(1); // "AdamW" stays
  return ` (${text.replace(/\.$/, '')})`;
}

/** The first ajv error → the field path and a message saying what was expected. */
function explain(e: ErrorObject): { field: string; message: string } {
  const p = e.params as Record<string, unknown>;
  const parent = e.parentSchema as Record<string, unknown> | undefined;
  const got = `got ${JSON.stringify(e.data)}`;
  switch (e.keyword) {
    case 'required': {
      const key = String(p['missingProperty']);
      const props = (parent?.['properties'] ?? {}) as Record<string, unknown>;
      return { field: fieldPath(`${e.instancePath}/${key}`), message: `is required; expected ${expected(props[key])}${aside(props[key])}` };
    }
    case 'additionalProperties': {
      const known = Object.keys((parent?.['properties'] ?? {}) as object).filter((k) => k !== '$comment');
      const what = e.instancePath.endsWith('/mixture') ? 'mixture component' : 'option';
      return { field: fieldPath(`${e.instancePath}/${String(p['additionalProperty'])}`), message: `unknown ${what}; expected one of ${known.join(', ')}` };
    }
    case 'not': // the schema's rules: their description is the message
      return { field: fieldPath(e.instancePath), message: String(parent?.['description'] ?? 'not allowed here') };
    default: // type, enum, minimum, maximum, minItems…: say the whole of what the field takes
      return { field: fieldPath(e.instancePath), message: `expected ${expected(parent)}${aside(parent)}, ${got}` };
  }
}

function cfgErr(file: string | undefined, field: string, msg: string): DsabenchError {
  return new DsabenchError('E_CONFIG_INVALID', `${file ? `${file}: ` : ''}field "${field}": ${msg}`, { file, field });
}

function checkLengths(lengths: number[], field: string, model: ModelConfig, file: string | undefined): number[] {
  lengths.forEach((l, j) => {
    if (l > model.max_position_embeddings)
      throw cfgErr(file, `${field}[${j}]`, `expected an integer in [16, max_position_embeddings=${model.max_position_embeddings}], got ${l}`);
  });
  return lengths;
}

/** One schema-checked stage → its StageConfig (min_lr defaults to lr / 10), keys in a fixed order. */
function finishStage(s: RawStage, p: string, model: ModelConfig, file: string | undefined): StageConfig {
  const minLr = s.min_lr ?? s.lr / 10;
  if (minLr > s.lr) throw cfgErr(file, p + 'min_lr', `expected a number in [0, ${s.lr}] (at most lr), got ${minLr}`);
  if (s.warmup_steps > s.steps) throw cfgErr(file, p + 'warmup_steps', `must be at most steps (${s.steps}), got ${s.warmup_steps}`);
  const out: StageConfig = {
    stage: s.stage,
    steps: s.steps,
    lr: s.lr,
    min_lr: minLr,
    warmup_steps: s.warmup_steps,
    weight_decay: s.weight_decay,
    clip: s.clip,
    lengths: checkLengths(s.lengths, p + 'lengths', model, file),
    mixture: s.mixture,
  };
  if (s.topk !== undefined) out.topk = s.topk;
  if (s.batch !== undefined) out.batch = s.batch;
  if (s.dense_fraction !== undefined) out.dense_fraction = s.dense_fraction;
  if (s.dense_lengths !== undefined) out.dense_lengths = checkLengths(s.dense_lengths, p + 'dense_lengths', model, file);
  if (s.prompt_weight !== undefined) out.prompt_weight = s.prompt_weight;
  return out;
}

function resolveModel(m: RawConfig['model'], file: string | undefined): ModelConfig {
  if (typeof m !== 'string') return parseModelConfig(m, file);
  return readModelConfig(isAbsolute(m) || !file ? resolve(m) : resolve(dirname(file), m));
}

/** Checks a parsed train.json; `file` locates errors and relative `model` and `init` paths. */
export function parseTrainConfig(raw: unknown, file?: string): TrainConfig {
  const o = structuredClone(raw); // the validator fills in defaults
  const v = trainValidator();
  if (!v(o)) {
    const { field, message } = explain(v.errors![0]!);
    throw cfgErr(file, field, message);
  }
  const c = o as RawConfig;
  const model = resolveModel(c.model, file);
  let last = 0;
  const stages = c.stages.map((s, i): StageConfig => {
    const idx = STAGE_ORDER.indexOf(s.stage);
    if (idx < last)
      throw cfgErr(file, `stages[${i}].stage`, `stages must come in the order ${STAGE_ORDER.join(' → ')} (${s.stage} after ${STAGE_ORDER[last]})`);
    last = idx;
    return finishStage(s, `stages[${i}].`, model, file);
  });
  const init = c.init;
  return {
    model,
    seed: c.seed,
    threads: c.threads,
    batch: c.batch,
    stages,
    checkpoint_every: c.checkpoint_every,
    eval_every: c.eval_every,
    eval_examples: c.eval_examples,
    log_every: c.log_every,
    prompt_weight: c.prompt_weight,
    answer_weight: c.answer_weight,
    beta1: c.beta1,
    beta2: c.beta2,
    eps: c.eps,
    ...(init === undefined ? {} : { init: isAbsolute(init) || !file || !/[\\/]/.test(init) ? init : resolve(dirname(file), init) }),
  };
}

export function readTrainConfig(file: string): TrainConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DsabenchError('E_FILE_NOT_FOUND', `cannot read training config ${file}: ${(e as Error).message}`, { file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DsabenchError('E_CONFIG_INVALID', `${file}: not valid JSON (${(e as Error).message})`, { file });
  }
  return parseTrainConfig(raw, file);
}
