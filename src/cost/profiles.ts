/**
 * Model profiles for the cost study: the attention and indexer shapes of a model, its
 * layer count and active parameters, and its cache format. Shipped profiles live in
 * data/profiles/<name>.json; users may pass a path to their own JSON file.
 *
 * Validation is by hand (a dozen fields) so each message names the file and the field.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { DsabenchError } from '../errors.js';
import { packagePath } from '../util/package.js';

/** MLA (DeepSeek): one shared latent cache per layer; decode and DSA run in MQA mode. */
export interface MlaAttention {
  kind: 'mla';
  heads: number;
  q_lora_rank?: number;
  kv_lora_rank: number;
  qk_rope_dim: number;
  qk_nope_dim: number;
  v_head_dim: number;
}

/** MHA / GQA / MQA: kv_heads divides heads. */
export interface MhaAttention {
  kind: 'mha';
  heads: number;
  kv_heads: number;
  head_dim: number;
  v_head_dim?: number;
}

export interface IndexerSpec {
  heads: number;
  dim: number;
  topk: number;
}

export interface ModelProfile {
  name: string;
  description?: string;
  source?: string;
  layers: number;
  hidden: number;
  attention: MlaAttention | MhaAttention;
  indexer: IndexerSpec;
  /** Active parameters per token; non-attention FLOPs per token = 2 × active_params. */
  active_params: number;
  max_context: number;
  /** Per layer, per cached token: main cache entry and indexer key, in bytes. */
  cache: { bytes_per_token: number; indexer_bytes_per_token: number };
  /**
   * MLA only: the form production dense prefill runs in. DeepSeek's dense V3.1 prefills in
   * MHA form (192-dim q/k, 128-dim v per head); decode and DSA always run in MQA form.
   */
  prefill_dense_form?: 'mha' | 'mqa';
  /** Precision of the non-attention GEMMs, for the roofline (default bf16). */
  weights_dtype?: 'bf16' | 'fp8';
}

/** The attention computation as the engine runs it: q [T,H,Dqk] over a cache of Hkv heads. */
export interface AttentionShape {
  form: 'mqa-mla' | 'mha';
  heads: number;
  kvHeads: number;
  dqk: number;
  dv: number;
}

/**
 * Shapes of a profile's attention. `form` 'mqa' (default) is how decode and DSA run;
 * 'mha' asks for the un-absorbed MLA form (qk_nope + qk_rope per head, v_head_dim values).
 */
export function attentionShape(p: ModelProfile, form: 'mqa' | 'mha' = 'mqa'): AttentionShape {
  const a = p.attention;
  if (a.kind === 'mla') {
    if (form === 'mha') {
      return { form: 'mha', heads: a.heads, kvHeads: a.heads, dqk: a.qk_nope_dim + a.qk_rope_dim, dv: a.v_head_dim };
    }
    return { form: 'mqa-mla', heads: a.heads, kvHeads: 1, dqk: a.kv_lora_rank + a.qk_rope_dim, dv: a.kv_lora_rank };
  }
  return { form: 'mha', heads: a.heads, kvHeads: a.kv_heads, dqk: a.head_dim, dv: a.v_head_dim ?? a.head_dim };
}

export function profilesDir(): string {
  return packagePath('data', 'profiles');
}

/** Names of the shipped profiles (file names without .json), sorted. */
export function listProfiles(): string[] {
  try {
    return readdirSync(profilesDir())
      .filter((f) => f.endsWith('.json'))
      .map((f) => basename(f, '.json'))
      .sort();
  } catch {
    return [];
  }
}

/** A shipped profile by name, or a JSON file by path (anything with a slash or ending in .json). */
export function loadProfile(spec: string): ModelProfile {
  const isPath = spec.includes('/') || spec.includes('\\') || spec.endsWith('.json');
  const file = isPath ? spec : packagePath('data', 'profiles', `${spec}.json`);
  if (!existsSync(file)) {
    if (isPath) throw new DsabenchError('E_FILE_NOT_FOUND', `profile file not found`, { file });
    throw new DsabenchError(
      'E_PROFILE',
      `unknown profile "${spec}" (expected one of: ${listProfiles().join(', ') || 'none shipped'}, or a path to a JSON file)`,
      { field: 'profile' },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DsabenchError('E_PROFILE', `profile is not valid JSON (${(e as Error).message})`, { file });
  }
  return validateProfile(raw, file);
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function posInt(o: Obj, key: string, file: string, prefix: string, optional = false): number | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new DsabenchError('E_PROFILE', `expected a positive integer, got ${JSON.stringify(v)}`, {
      file,
      field: `${prefix}/${key}`,
    });
  }
  return v;
}

function posNum(o: Obj, key: string, file: string, prefix: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new DsabenchError('E_PROFILE', `expected a positive number, got ${JSON.stringify(v)}`, {
      file,
      field: `${prefix}/${key}`,
    });
  }
  return v;
}

function sub(o: Obj, key: string, file: string): Obj {
  const v = o[key];
  if (!isObj(v)) throw new DsabenchError('E_PROFILE', `expected an object`, { file, field: `/${key}` });
  return v;
}

/** Checks a parsed profile; `file` names the source in errors. */
export function validateProfile(raw: unknown, file = '<profile>'): ModelProfile {
  if (!isObj(raw)) throw new DsabenchError('E_PROFILE', 'expected a JSON object', { file });
  if (typeof raw.name !== 'string' || raw.name === '') {
    throw new DsabenchError('E_PROFILE', 'expected a non-empty string', { file, field: '/name' });
  }
  const a = sub(raw, 'attention', file);
  let attention: MlaAttention | MhaAttention;
  if (a.kind === 'mla') {
    attention = {
      kind: 'mla',
      heads: posInt(a, 'heads', file, '/attention')!,
      q_lora_rank: posInt(a, 'q_lora_rank', file, '/attention', true),
      kv_lora_rank: posInt(a, 'kv_lora_rank', file, '/attention')!,
      qk_rope_dim: posInt(a, 'qk_rope_dim', file, '/attention')!,
      qk_nope_dim: posInt(a, 'qk_nope_dim', file, '/attention')!,
      v_head_dim: posInt(a, 'v_head_dim', file, '/attention')!,
    };
  } else if (a.kind === 'mha') {
    const heads = posInt(a, 'heads', file, '/attention')!;
    const kvHeads = posInt(a, 'kv_heads', file, '/attention')!;
    if (heads % kvHeads !== 0) {
      throw new DsabenchError('E_PROFILE', `kv_heads (${kvHeads}) must divide heads (${heads})`, {
        file,
        field: '/attention/kv_heads',
      });
    }
    attention = {
      kind: 'mha',
      heads,
      kv_heads: kvHeads,
      head_dim: posInt(a, 'head_dim', file, '/attention')!,
      v_head_dim: posInt(a, 'v_head_dim', file, '/attention', true),
    };
  } else {
    throw new DsabenchError('E_PROFILE', `expected "mla" or "mha", got ${JSON.stringify(a.kind)}`, {
      file,
      field: '/attention/kind',
    });
  }
  const ix = sub(raw, 'indexer', file);
  const cache = sub(raw, 'cache', file);
  const form = raw.prefill_dense_form;
  if (form !== undefined && form !== 'mha' && form !== 'mqa') {
    throw new DsabenchError('E_PROFILE', `expected "mha" or "mqa", got ${JSON.stringify(form)}`, {
      file,
      field: '/prefill_dense_form',
    });
  }
  const wd = raw.weights_dtype;
  if (wd !== undefined && wd !== 'bf16' && wd !== 'fp8') {
    throw new DsabenchError('E_PROFILE', `expected "bf16" or "fp8", got ${JSON.stringify(wd)}`, {
      file,
      field: '/weights_dtype',
    });
  }
  const profile: ModelProfile = {
    name: raw.name,
    description: typeof raw.description === 'string' ? raw.description : undefined,
    source: typeof raw.source === 'string' ? raw.source : undefined,
    layers: posInt(raw, 'layers', file, '')!,
    hidden: posInt(raw, 'hidden', file, '')!,
    attention,
    indexer: {
      heads: posInt(ix, 'heads', file, '/indexer')!,
      dim: posInt(ix, 'dim', file, '/indexer')!,
      topk: posInt(ix, 'topk', file, '/indexer')!,
    },
    active_params: posNum(raw, 'active_params', file, ''),
    max_context: posInt(raw, 'max_context', file, '')!,
    cache: {
      bytes_per_token: posNum(cache, 'bytes_per_token', file, '/cache'),
      indexer_bytes_per_token: posNum(cache, 'indexer_bytes_per_token', file, '/cache'),
    },
    prefill_dense_form: form,
    weights_dtype: wd,
  };
  return profile;
}
