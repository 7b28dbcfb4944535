/**
 * Model directories of the built-in model (data/models/<name>/ or any path):
 *
 *   config.json              ModelConfig (HF-style snake_case)
 *   model.safetensors        every tensor of modelLayout(config) as F32 under its name,
 *                            __metadata__ { format: "dsabench-dsa", step, stage, ... }
 *   train-state.safetensors  resume state: AdamW moments "adamw.m" / "adamw.v" (F32 [numParams])
 *                            and __metadata__.state = JSON of the trainer's position
 *
 * Every write goes to a temporary file renamed into place, so a killed process leaves either
 * the old file or the new one, never half of one. Loading checks the weights against the
 * config tensor by tensor and names the tensor (and the config fields that set its shape)
 * in every error.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DsabenchError } from '../errors.js';
import { writeSafetensors, readSafetensors, type SafetensorsFile, type StTensor } from '../engine/safetensors.js';
import { bf16ToF32 } from '../engine/bf16.js';
import { packagePath } from '../util/package.js';
import { readModelConfig, type ModelConfig } from './config.js';
import { modelLayout, numParams, type TensorSpec } from './native.js';

export const MODEL_FORMAT = 'dsabench-dsa';
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const STATE_FILE = 'train-state.safetensors';

/** Computes the tensor layout of a config (the native modelLayout unless a test injects one). */
export type LayoutFn = (config: ModelConfig) => TensorSpec[];

export interface LoadedModel {
  dir: string;
  config: ModelConfig;
  layout: TensorSpec[];
  /** Flat parameter vector laid out by `layout`. */
  params: Float32Array;
  /** model.safetensors __metadata__ (strings). */
  metadata: Record<string, string>;
}

export interface TrainStateFile {
  m: Float32Array;
  v: Float32Array;
  /** The trainer's JSON state (step, stage, data cursor, RNG …), validated by the trainer. */
  state: unknown;
  metadata: Record<string, string>;
}

function ckErr(msg: string, file?: string, field?: string, cause?: unknown): DsabenchError {
  return new DsabenchError('E_CHECKPOINT', msg, { file, field, cause });
}

/**
 * A model spec is a name under data/models/ (e.g. "dsa-mini") or a directory path. A bare
 * name that exists under data/models wins over a same-named directory in the cwd.
 */
export function resolveModelDir(spec: string): string {
  if (!spec) throw new DsabenchError('E_USAGE', 'empty model spec (expected a name under data/models/ or a directory)');
  const isName = /^[A-Za-z0-9_.-]+$/.test(spec) && spec !== '.' && spec !== '..';
  if (isName) {
    const shipped = packagePath('data', 'models', spec);
    if (existsSync(join(shipped, CONFIG_FILE))) return shipped;
  }
  return resolve(spec);
}

/** Writes bytes to `path` atomically (temp file in the same directory, then rename). */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function readTensorFile(path: string): SafetensorsFile {
  if (!existsSync(path)) throw ckErr(`${path} is missing`, path);
  const buf = readFileSync(path);
  try {
    return readSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
  } catch (e) {
    if (e instanceof DsabenchError) {
      const where = e.field ? `${e.field}: ` : '';
      throw ckErr(`${path}: ${where}${e.message} (file truncated or corrupt: ${statSync(path).size} bytes)`, path, e.field, e);
    }
    throw e;
  }
}

/** F32 data of a tensor (BF16 widened); other dtypes are an error naming the tensor. */
function tensorF32(t: StTensor, name: string, file: string): Float32Array {
  if (t.dtype === 'F32') return t.data as Float32Array;
  if (t.dtype === 'BF16') return bf16ToF32(t.data as Uint16Array);
  throw ckErr(`${file}: tensor ${name} has dtype ${t.dtype}; expected F32 or BF16`, file, name);
}

const SHAPE_FIELDS = [
  'vocab_size', 'hidden_size', 'num_attention_heads', 'q_lora_rank', 'kv_lora_rank', 'qk_nope_head_dim',
  'qk_rope_head_dim', 'v_head_dim', 'intermediate_size', 'index_n_heads', 'index_head_dim', 'index_rope_head_dim',
] as const;

/**
 * The config fields that set a tensor's shape, found by changing each field and seeing whether
 * the tensor's shape changes (so no tensor list is hard-coded here).
 */
function shapeFields(config: ModelConfig, name: string, layoutFn: LayoutFn): string[] {
  const base = layoutFn(config).find((t) => t.name === name)?.shape.join(',');
  const out: string[] = [];
  for (const f of SHAPE_FIELDS) {
    let shape: string | undefined;
    try {
      shape = layoutFn({ ...config, [f]: config[f] + 2 }).find((t) => t.name === name)?.shape.join(',');
    } catch {
      continue;
    }
    if (shape !== base) out.push(`${f}=${config[f]}`);
  }
  return out;
}

function fmtShape(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

/**
 * Reads and checks a model directory. Errors (E_CHECKPOINT unless the config itself is bad):
 * missing files, truncated safetensors, a missing or unknown tensor, a shape that disagrees
 * with config.json, a dtype other than F32/BF16, non-finite weights.
 */
export function loadModel(spec: string, opts: { layoutFn?: LayoutFn } = {}): LoadedModel {
  const dir = resolveModelDir(spec);
  const layoutFn = opts.layoutFn ?? modelLayout;
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw ckErr(`model "${spec}" not found: ${dir} is not a directory (give a name under ${packagePath('data', 'models')} or a model directory)`, dir);
  const cfgFile = join(dir, CONFIG_FILE);
  if (!existsSync(cfgFile)) throw ckErr(`${cfgFile} is missing (a model directory holds config.json and model.safetensors)`, cfgFile);
  const config = readModelConfig(cfgFile);
  const layout = layoutFn(config);
  const wFile = join(dir, WEIGHTS_FILE);
  const st = readTensorFile(wFile);
  const params = new Float32Array(numParams(layout));
  const expected = new Set(layout.map((t) => t.name));
  for (const name of st.tensors.keys())
    if (!expected.has(name))
      throw ckErr(`${wFile}: unknown tensor ${name} (not in the layout of ${cfgFile}; ${layout.length} tensors expected)`, wFile, name);
  for (const spec of layout) {
    const t = st.tensors.get(spec.name);
    if (!t) throw ckErr(`${wFile}: tensor ${spec.name} is missing (config.json needs shape ${fmtShape(spec.shape)})`, wFile, spec.name);
    const same = t.shape.length === spec.shape.length && t.shape.every((d, i) => d === spec.shape[i]);
    if (!same) {
      const fields = shapeFields(config, spec.name, layoutFn);
      const why = fields.length ? ` (${fields.join(', ')})` : '';
      throw ckErr(`${wFile}: tensor ${spec.name} has shape ${fmtShape(t.shape)} but config.json${why} needs ${fmtShape(spec.shape)}`, wFile, spec.name);
    }
    const data = tensorF32(t, spec.name, wFile);
    for (let i = 0; i < data.length; i++)
      if (!Number.isFinite(data[i]!))
        throw ckErr(`${wFile}: tensor ${spec.name} has a non-finite value (${data[i]}) at element ${i}`, wFile, spec.name);
    params.set(data, spec.offset);
  }
  return { dir, config, layout, params, metadata: st.metadata };
}

function stringMeta(meta: Record<string, string | number | boolean | undefined>): Record<string, string> {
  const out: Record<string, string> = { format: MODEL_FORMAT };
  for (const [k, v] of Object.entries(meta)) if (v !== undefined) out[k] = String(v);
  return out;
}

/** Writes config.json and model.safetensors (F32, layout order) atomically into `dir`. */
export function saveModel(
  dir: string,
  config: ModelConfig,
  layout: readonly TensorSpec[],
  params: Float32Array,
  metadata: Record<string, string | number | boolean | undefined> = {},
): void {
  if (params.length !== numParams(layout))
    throw ckErr(`parameter vector has ${params.length} values but the layout needs ${numParams(layout)}`, dir);
  const tensors = new Map<string, StTensor>();
  for (const t of layout) tensors.set(t.name, { dtype: 'F32', shape: t.shape, data: params.subarray(t.offset, t.offset + t.size) });
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, WEIGHTS_FILE), writeSafetensors(tensors, stringMeta(metadata)));
  writeFileAtomic(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
}

/** Writes the optimizer moments and the trainer's JSON state atomically. */
export function saveTrainState(dir: string, m: Float32Array, v: Float32Array, state: unknown, metadata: Record<string, string | number | boolean | undefined> = {}): void {
  if (m.length !== v.length) throw ckErr(`AdamW moments differ in length (m ${m.length}, v ${v.length})`, dir);
  const tensors = new Map<string, StTensor>([
    ['adamw.m', { dtype: 'F32', shape: [m.length], data: m }],
    ['adamw.v', { dtype: 'F32', shape: [v.length], data: v }],
  ]);
  writeFileAtomic(join(dir, STATE_FILE), writeSafetensors(tensors, { ...stringMeta(metadata), state: JSON.stringify(state) }));
}

/** Reads train-state.safetensors; `n` is the expected parameter count. */
export function loadTrainState(dir: string, n: number): TrainStateFile {
  const file = join(dir, STATE_FILE);
  const st = readTensorFile(file);
  const get = (name: string): Float32Array => {
    const t = st.tensors.get(name);
    if (!t) throw ckErr(`${file}: tensor ${name} is missing`, file, name);
    if (t.shape.length !== 1 || t.shape[0] !== n)
      throw ckErr(`${file}: tensor ${name} has shape ${fmtShape(t.shape)} but the model has ${n} parameters (needs [${n}])`, file, name);
    const d = tensorF32(t, name, file);
    return t.dtype === 'F32' ? new Float32Array(d) : d; // own, writable copy
  };
  for (const name of st.tensors.keys())
    if (name !== 'adamw.m' && name !== 'adamw.v') throw ckErr(`${file}: unknown tensor ${name} (expected adamw.m and adamw.v)`, file, name);
  const raw = st.metadata['state'];
  if (raw === undefined) throw ckErr(`${file}: __metadata__.state is missing`, file, '__metadata__.state');
  let state: unknown;
  try {
    state = JSON.parse(raw);
  } catch (e) {
    throw ckErr(`${file}: __metadata__.state is not valid JSON (${(e as Error).message})`, file, '__metadata__.state');
  }
  return { m: get('adamw.m'), v: get('adamw.v'), state, metadata: st.metadata };
}
