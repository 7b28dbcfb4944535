/**
 * The cost study on the built-in model itself (`dsabench cost --model native:<model>`):
 *
 *  - profile: the model's own shapes (config.json → ModelProfile), so the attention curves
 *    are timed at its real MLA/indexer sizes;
 *  - model decode: whole-model decode time per token at several positions, dense vs sparse,
 *    through a KV-cache session (prefill once to the longest position, then time one decode
 *    step at each position, truncating back after each step);
 *  - quality: fidelity vs k (quality.ts) on the model's REAL attention inputs — a dense
 *    session with capture on prefills long-context prompts, and each layer's captured
 *    q / latent cache / indexer q, k, w are scored exactly as the synthetic inputs are.
 *    Rows are the mean over prompts × layers; per-layer rows are kept too.
 */
import { DsabenchError } from '../errors.js';
import { loadModel } from '../model/checkpoint.js';
import type { ModelConfig } from '../model/config.js';
import { createNativeModel, numParams, type AttentionMode, type CapturedAttention, type NativeModel } from '../model/native.js';
import { encodeChat } from '../model/tokens.js';
import { parseNativeSpec } from '../providers/native.js';
import { longContextGenerator } from '../suites/longcontext/generate.js';
import { mulberry32 } from '../util/stats.js';
import type { Mode } from './analytic.js';
import { formatMarkdown } from './format.js';
import type { HardwareProfile } from './hardware.js';
import type { ModelProfile } from './profiles.js';
import { measureQuality, type QualityOps, type QualityRow } from './quality.js';
import { runStudy, type CostReport } from './study.js';
import type { SyntheticInputs } from './synthetic.js';
import { median } from '../util/stats.js';
import { timeRepeats, type AttentionTimer, type TimingInputs } from './timer.js';

/** One whole-model decode measurement: one token whose query sees `position` cached tokens. */
export interface ModelDecodePoint {
  attention: AttentionMode;
  position: number;
  /** Sparse: the k used (the model's index_topk unless set). */
  topk?: number;
  threads: number;
  ms_per_token: number;
  tokens_per_s: number;
}

/** One whole-model prefill measurement: a real prompt's first `position` tokens from an empty cache. */
export interface ModelPrefillPoint {
  attention: AttentionMode;
  position: number;
  /** Sparse: the k used (the model's index_topk unless set). */
  topk?: number;
  threads: number;
  /** Wall time to prefill tokens 0..position-1. */
  ms: number;
  tokens_per_s: number;
}

/** Where the quality rows came from. */
export interface ModelQualitySetup {
  source: 'model';
  model: string;
  ops: string;
  prompts: Array<{ task: string; id: string; tokens: number }>;
  layers: number;
  /** Queries scored per prompt: the last ones of the prompt (where the question sits). */
  queries: number;
}

/** cost.json of a model study: a CostReport plus the model's own measurements. */
export interface ModelCostReport extends CostReport {
  model?: { spec: string; dir: string; params: number; max_position_embeddings: number; index_topk: number };
  model_decode?: ModelDecodePoint[];
  /** What the per-layer curves were timed on when not random inputs (TimingInputs.source). */
  timing_inputs?: string;
  model_prefill?: ModelPrefillPoint[];
  /** The prompt the whole-model prefill ran on. */
  model_prefill_prompt?: { task: string; id: string; tokens: number };
  model_quality_setup?: ModelQualitySetup;
  /** Per-layer fidelity rows (the mean over prompts), layer 0 first. */
  quality_layers?: QualityRow[][];
}

/** `native:<model>[?…]`, `native` or a bare model name/dir → the model name or dir. */
export function modelOfSpec(spec: string): string {
  if (spec === 'native') return parseNativeSpec('').model;
  if (spec.startsWith('native:')) return parseNativeSpec(spec.slice('native:'.length)).model;
  if (spec.includes('?')) throw new DsabenchError('E_OPTION', `expected native:<model> or a model name/directory, got "${spec}"`, { field: 'model' });
  return spec;
}

/** The cost profile of a model config: MLA in MQA form, fp32 caches. */
export function modelProfile(config: ModelConfig, name: string, params: number): ModelProfile {
  return {
    name,
    description: `built-in DSA model ${name} (${params} parameters), shapes from its config.json`,
    source: 'config.json of the model directory',
    layers: config.num_hidden_layers,
    hidden: config.hidden_size,
    attention: {
      kind: 'mla',
      heads: config.num_attention_heads,
      q_lora_rank: config.q_lora_rank,
      kv_lora_rank: config.kv_lora_rank,
      qk_rope_dim: config.qk_rope_head_dim,
      qk_nope_dim: config.qk_nope_head_dim,
      v_head_dim: config.v_head_dim,
    },
    indexer: { heads: config.index_n_heads, dim: config.index_head_dim, topk: config.index_topk },
    active_params: params,
    max_context: config.max_position_embeddings,
    cache: { bytes_per_token: (config.kv_lora_rank + config.qk_rope_head_dim) * 4, indexer_bytes_per_token: config.index_head_dim * 4 },
    prefill_dense_form: 'mqa',
  };
}

/** A layer's captured attention inputs, keeping only the last `queries` queries, in the shape quality.ts scores. */
export function capturedToInputs(c: CapturedAttention, queries = c.T): SyntheticInputs {
  const n = Math.max(1, Math.min(queries, c.T));
  const drop = c.T - n;
  return {
    // dc = D, dp = 0: only L, T, H, dv, hi, di of the shape are read by the scorers.
    shape: { L: c.L, T: n, H: c.H, dc: c.D, dp: 0, dv: c.dv, hi: c.HI, di: c.DI },
    D: c.D,
    qStart: c.qStart + drop,
    scale: c.scale,
    q: c.q.slice(drop * c.H * c.D),
    kv: c.kv,
    qI: c.qI.slice(drop * c.HI * c.DI),
    kI: c.kI,
    w: c.w.slice(drop * c.HI),
    needles: new Int32Array(n * c.H).fill(-1),
  };
}

/** Long-context prompts in the model's byte tokens (chat-encoded as the provider sends them). */
export async function qualityPrompts(length: number, tasks: readonly string[], seed = 2026): Promise<Array<{ task: string; id: string; tokens: Int32Array }>> {
  const items = await longContextGenerator(seed, { tokenizer: 'byte', lengths: [length], tasks: [...tasks], depths: [0.5] });
  return items.map((it) => ({
    task: String(it.metadata?.['task']),
    id: it.id,
    tokens: Int32Array.from(encodeChat([{ role: 'user', content: String(it.input['prompt']) }])),
  }));
}

/** Mean of fidelity rows with the same k, across several row lists. */
function meanRows(lists: readonly QualityRow[][]): QualityRow[] {
  const first = lists[0] ?? [];
  return first.map((r, i) => {
    const avg = (f: (q: QualityRow) => number): number => lists.reduce((s, l) => s + f(l[i]!), 0) / lists.length;
    return { k: r.k, mass_recall: avg((q) => q.mass_recall), rel_error: avg((q) => q.rel_error), oracle_mass_recall: avg((q) => q.oracle_mass_recall) };
  });
}

export interface RealQualityOptions {
  ops: QualityOps;
  kValues: readonly number[];
  /** Prompt length in bytes (default min(1024, context)). */
  length?: number;
  tasks?: readonly string[];
  /** Last queries of each prompt scored (default 32). */
  queries?: number;
  threads?: number;
}

/** Fidelity vs k on the model's captured attention: mean over prompts and layers, and per layer. */
export async function measureRealQuality(model: NativeModel, config: ModelConfig, o: RealQualityOptions): Promise<{ rows: QualityRow[]; layers: QualityRow[][]; prompts: ModelQualitySetup['prompts']; queries: number }> {
  const length = o.length ?? Math.min(1024, config.max_position_embeddings);
  const prompts = await qualityPrompts(length, o.tasks ?? ['niah_single_1', 'niah_multikey_1', 'vt']);
  const queries = o.queries ?? 32;
  const perLayer: QualityRow[][][] = Array.from({ length: config.num_hidden_layers }, () => []);
  for (const p of prompts) {
    const kValues = o.kValues.filter((k) => k < p.tokens.length);
    if (kValues.length === 0) throw new DsabenchError('E_OPTION', `every k is ≥ the prompt length ${p.tokens.length}; give smaller --k values`, { field: 'k' });
    const s = model.session({ maxLength: p.tokens.length, attention: 'dense', threads: o.threads ?? 1, capture: true });
    s.forward(p.tokens);
    if (!s.captured) throw new DsabenchError('E_UNSUPPORTED', 'this build of the native model cannot capture attention inputs');
    for (let layer = 0; layer < config.num_hidden_layers; layer++) {
      perLayer[layer]!.push(await measureQuality(capturedToInputs(s.captured(layer), queries), o.ops, kValues));
    }
  }
  const layers = perLayer.map(meanRows);
  return { rows: meanRows(layers), layers, prompts: prompts.map((p) => ({ task: p.task, id: p.id, tokens: p.tokens.length })), queries };
}

/**
 * Whole-model decode ms per token at each position (ascending positions in the result):
 * one prefill to the longest position per attention mode, then per position (longest first)
 * truncate to it and time single-token forwards, truncating back after each.
 */
export function measureModelDecode(model: NativeModel, config: ModelConfig, positions: readonly number[], o: { attentions?: AttentionMode[]; repeats?: number; threads?: number; topk?: number; seed?: number } = {}): ModelDecodePoint[] {
  const ps = [...new Set(positions)].filter((p) => p >= 1 && p < config.max_position_embeddings).sort((a, b) => b - a);
  if (ps.length === 0) return [];
  const threads = o.threads ?? 1;
  const rand = mulberry32(o.seed ?? 7);
  const max = ps[0]!;
  const tokens = Int32Array.from({ length: max }, () => Math.floor(rand() * 256));
  const out: ModelDecodePoint[] = [];
  for (const attention of o.attentions ?? (['dense', 'sparse'] as AttentionMode[])) {
    const topk = attention === 'sparse' ? (o.topk ?? config.index_topk) : undefined;
    const s = model.session({ maxLength: max + 1, attention, threads, ...(topk !== undefined ? { topk } : {}) });
    s.forward(tokens);
    const next = Int32Array.of(32);
    for (const p of ps) {
      s.truncate(p);
      const ms = median(timeRepeats(() => {
        s.forward(next);
        s.truncate(p);
      }, o.repeats ?? 3, 100, 30));
      out.push({ attention, position: p, ...(topk !== undefined ? { topk } : {}), threads, ms_per_token: ms, tokens_per_s: 1000 / ms });
    }
  }
  return out.sort((a, b) => a.position - b.position || a.attention.localeCompare(b.attention));
}

export type LongPrompt = Awaited<ReturnType<typeof qualityPrompts>>[number];

/**
 * One long-context prompt (a needle task's, byte tokens) of at least `tokens` tokens where the
 * generator can make one. Its length is not the prompt's tokens (it keeps room for the answer;
 * the chat frame; the haystack's granularity), and it needs ~1K for a needle task at all: ask
 * for more until the prompt is long enough (after a few tries, the longest made).
 */
export async function longPrompt(tokens: number, task = 'niah_single_1'): Promise<LongPrompt | undefined> {
  let prompt: LongPrompt | undefined;
  for (let ask = Math.max(1024, tokens + 256), tries = 0; tries < 4; tries++) {
    [prompt] = await qualityPrompts(ask, [task]);
    if (!prompt || prompt.tokens.length >= tokens) break;
    ask = Math.ceil((ask * tokens * 1.05) / Math.max(1, prompt.tokens.length));
  }
  return prompt;
}

/**
 * The model's own attention inputs for the cost study's per-layer timing (TimingInputs): one
 * dense forward of `prompt` with capture on, the middle layer's q, latent cache, indexer q, k
 * and w. (The capture forwards the prompt as one chunk.)
 */
export function captureTimingInputs(model: NativeModel, config: ModelConfig, profile: ModelProfile, prompt: LongPrompt, threads = 1): TimingInputs | undefined {
  const n = Math.min(prompt.tokens.length, config.max_position_embeddings);  // (the prompt may run past the context)
  const s = model.session({ maxLength: n, attention: 'dense', threads, capture: true });
  try {
    s.forward(prompt.tokens.subarray(0, n));
    if (!s.captured) return undefined;
    const layer = Math.floor(config.num_hidden_layers / 2);
    const c = s.captured(layer);
    return {
      profile,
      length: c.L,
      q: c.q,
      kv: c.kv,
      qI: c.qI,
      kI: c.kI,
      w: c.w,
      source: `layer ${layer} of ${config.num_hidden_layers} on ${prompt.id} (${c.L} tokens)`,
    };
  } finally {
    s.close();
  }
}

/**
 * Whole-model prefill time of a real long-context prompt (a needle task's, byte tokens) up to
 * each position, dense vs sparse. One session per attention forwards the prompt in slices that
 * end at the positions (ascending); the time to reach a position is the sum of its slices, the
 * same work as one prefill of that many tokens (the model prefills in 2K-token chunks either
 * way). Real text matters here as in the per-layer curves (TimingInputs): random queries select
 * many more distinct keys between them than the model's do on text, and the sparse prefill's
 * blocked attention works over that union.
 */
export async function measureModelPrefill(model: NativeModel, config: ModelConfig, positions: readonly number[], o: { threads?: number; topk?: number; prompt?: LongPrompt } = {}): Promise<{ points: ModelPrefillPoint[]; prompt?: { task: string; id: string; tokens: number } }> {
  const wanted = [...new Set(positions)].filter((p) => p >= 1 && p <= config.max_position_embeddings).sort((a, b) => a - b);
  if (wanted.length === 0) return { points: [] };
  const prompt = o.prompt ?? (await longPrompt(wanted[wanted.length - 1]!));
  if (!prompt) return { points: [] };
  const ps = wanted.filter((p) => p <= prompt.tokens.length);
  const threads = o.threads ?? 1;
  const points: ModelPrefillPoint[] = [];
  for (const attention of ['dense', 'sparse'] as AttentionMode[]) {
    const topk = attention === 'sparse' ? (o.topk ?? config.index_topk) : undefined;
    const s = model.session({ maxLength: ps[ps.length - 1]!, attention, threads, ...(topk !== undefined ? { topk } : {}) });
    let done = 0;
    let ms = 0;
    for (const p of ps) {
      const t0 = performance.now();
      s.forward(prompt.tokens.subarray(done, p));
      ms += performance.now() - t0;
      done = p;
      points.push({ attention, position: p, ...(topk !== undefined ? { topk } : {}), threads, ms, tokens_per_s: p / (ms / 1000) });
    }
  }
  points.sort((a, b) => a.position - b.position || a.attention.localeCompare(b.attention));
  return { points, prompt: { task: prompt.task, id: prompt.id, tokens: prompt.tokens.length } };
}

export interface ModelStudyOptions {
  /** native:<model>[?…], native, or a model name/dir. */
  model: string;
  /** Cost profile; default the model's own (modelProfile). */
  profile?: ModelProfile;
  modes: Mode[];
  positions: number[];
  chunk: number;
  repeats: number;
  threads: number;
  /** Kernel timer (per-layer attention curves); undefined = analytic only, and no model decode timing. */
  timer?: AttentionTimer;
  timerUnavailable?: string;
  pricePerHour?: number;
  hardware?: HardwareProfile;
  runs?: string[];
  quality?: { ops: QualityOps; kValues: number[]; length?: number; queries?: number };
  onPoint?: (line: string) => void;
}

/** The cost study of a built-in model: runStudy at its shapes, plus its own decode timing and real-attention fidelity. */
export async function runModelStudy(o: ModelStudyOptions): Promise<ModelCostReport> {
  const name = modelOfSpec(o.model);
  const loaded = loadModel(name);
  const { config } = loaded;
  const params = numParams(loaded.layout);
  const profile = o.profile ?? modelProfile(config, name, params);
  const positions = o.positions.filter((p) => p <= profile.max_context);
  if (positions.length === 0) {
    throw new DsabenchError('E_OPTION', `no position is within the model's context (${profile.max_context} tokens, max_position_embeddings)`, { field: 'positions' });
  }
  const model = createNativeModel(config, loaded.params);
  // Real inputs for the per-layer timing (see TimingInputs) and the whole-model prefill: one
  // needle prompt as long as the longest position.
  const prompt = o.timer ? await longPrompt(Math.max(...positions)) : undefined;
  const inputs = o.timer?.useInputs && prompt ? captureTimingInputs(model, config, profile, prompt, o.threads) : undefined;
  o.timer?.useInputs?.(inputs);
  let report: ModelCostReport;
  try {
    report = await runStudy({
      profile,
      modes: o.modes,
      positions,
      chunk: o.chunk,
      repeats: o.repeats,
      threads: o.threads,
      timer: o.timer,
      timerUnavailable: o.timerUnavailable,
      pricePerHour: o.pricePerHour,
      hardware: o.hardware,
      runs: o.runs,
      published: false,
      onPoint: o.onPoint ? (p) => o.onPoint!(`  ${p.mode} ${p.position} ${p.attention}: ${p.ms_median?.toFixed(3) ?? '–'} ms`) : undefined,
    });
  } finally {
    o.timer?.useInputs?.(undefined);
  }
  if (inputs) report.timing_inputs = inputs.source;
  report.model = { spec: o.model, dir: loaded.dir, params, max_position_embeddings: config.max_position_embeddings, index_topk: config.index_topk };
  if (o.timer) {
    report.model_decode = measureModelDecode(model, config, positions, { repeats: o.repeats, threads: o.threads });
    for (const d of report.model_decode) o.onPoint?.(`  model decode ${d.position} ${d.attention}: ${d.ms_per_token.toFixed(3)} ms/token`);
    if (o.modes.includes('prefill')) {
      const pre = await measureModelPrefill(model, config, positions, { threads: o.threads, ...(prompt ? { prompt } : {}) });
      report.model_prefill = pre.points;
      if (pre.prompt) report.model_prefill_prompt = pre.prompt;
      for (const d of pre.points) o.onPoint?.(`  model prefill ${d.position} ${d.attention}: ${d.ms.toFixed(1)} ms`);
    }
  }
  if (o.quality) {
    const q = await measureRealQuality(model, config, { ops: o.quality.ops, kValues: o.quality.kValues, threads: o.threads, ...(o.quality.length ? { length: o.quality.length } : {}), ...(o.quality.queries ? { queries: o.quality.queries } : {}) });
    report.quality = q.rows;
    report.quality_layers = q.layers;
    report.model_quality_setup = { source: 'model', model: name, ops: o.quality.ops.name, prompts: q.prompts, layers: config.num_hidden_layers, queries: q.queries };
  }
  return report;
}

function num(x: number, digits = 3): string {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)).toLocaleString('en-US') : '–';
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** cost.md of a model study: the usual tables (format.ts), then the model's decode timing and real-attention fidelity. */
export function formatModelMarkdown(r: ModelCostReport): string {
  // format.ts labels its fidelity table as synthetic; the model's is written here instead.
  const out = [formatMarkdown({ ...r, quality: undefined }).trimEnd()];
  if (r.model) {
    out.push('', `Model: ${r.model.spec} (${r.model.dir}), ${r.model.params} parameters, context ${r.model.max_position_embeddings}, index_topk ${r.model.index_topk}.`);
  }
  if (r.timing_inputs) {
    out.push('', `Per-layer timing inputs: the model's own attention inputs, ${r.timing_inputs}; a call at position p takes the queries before p and the keys up to it (random inputs past the prompt).`);
  }
  if (r.model_decode && r.model_decode.length > 0) {
    out.push('', '## Model decode (whole model, one token at each position, KV cache)', '');
    const positions = [...new Set(r.model_decode.map((d) => d.position))];
    const rows = positions.map((p) => {
      const d = r.model_decode!.find((x) => x.position === p && x.attention === 'dense');
      const s = r.model_decode!.find((x) => x.position === p && x.attention === 'sparse');
      return [String(p), d ? num(d.ms_per_token) : '–', s ? num(s.ms_per_token) : '–', d ? num(d.tokens_per_s) : '–', s ? num(s.tokens_per_s) : '–', d && s ? `${num(d.ms_per_token / s.ms_per_token)}×` : '–'];
    });
    out.push(table(['position', 'dense ms/token', `sparse ms/token (k=${r.model?.index_topk ?? '?'})`, 'dense tokens/s', 'sparse tokens/s', 'dense/sparse'], rows));
  }
  if (r.model_prefill && r.model_prefill.length > 0) {
    out.push('', '## Model prefill (whole model, a real prompt from an empty cache)', '');
    const pr = r.model_prefill_prompt;
    const caveat = r.timing_inputs
      ? ''
      : ` The per-layer prefill rows above time random inputs in chunks of ${r.settings.chunk} queries: random queries select many more distinct keys between them than ` +
        "the model's do on text, and the sparse prefill's blocked attention works over that union, so those rows overstate its cost for this model.";
    out.push(`The first \`position\` tokens of one long-context prompt${pr ? ` (${pr.id}, ${pr.tokens} tokens)` : ''}, prefilled through the model with each attention.${caveat}`, '');
    const positions = [...new Set(r.model_prefill.map((d) => d.position))];
    const rows = positions.map((p) => {
      const d = r.model_prefill!.find((x) => x.position === p && x.attention === 'dense');
      const s = r.model_prefill!.find((x) => x.position === p && x.attention === 'sparse');
      return [String(p), d ? num(d.ms) : '–', s ? num(s.ms) : '–', d ? num(d.tokens_per_s) : '–', s ? num(s.tokens_per_s) : '–', d && s ? `${num(d.ms / s.ms)}×` : '–'];
    });
    out.push(table(['position', 'dense ms', `sparse ms (k=${r.model?.index_topk ?? '?'})`, 'dense tokens/s', 'sparse tokens/s', 'dense/sparse'], rows));
  }
  if (r.quality && r.model_quality_setup) {
    const s = r.model_quality_setup;
    out.push('', `## Fidelity vs k on the model's real attention (${s.ops})`, '');
    out.push(`Dense prefill of ${s.prompts.length} long-context prompt(s) (${s.prompts.map((p) => `${p.id}, ${p.tokens} tokens`).join('; ')}); the last ${s.queries} queries of each, every layer (${s.layers}); mean over prompts and layers.`, '');
    out.push(table(['k', 'mass recall', 'oracle mass recall', 'relative output error'], r.quality.map((q) => [String(q.k), num(q.mass_recall), num(q.oracle_mass_recall), num(q.rel_error)])));
    if (r.quality_layers && r.quality_layers.length > 1) {
      out.push('', 'Mass recall per layer:', '');
      out.push(table(['k', ...r.quality_layers.map((_, i) => `layer ${i}`)], r.quality.map((q, i) => [String(q.k), ...r.quality_layers!.map((l) => num(l[i]?.mass_recall ?? NaN))])));
    }
  }
  return out.join('\n') + '\n';
}
