/**
 * Analytic cost of attention per layer and per query token, and of the whole model per
 * token. Positions count visible keys: a query "at position p" attends to p cached
 * tokens (itself included), so p ≥ 1.
 *
 * Per query with n visible keys (DSA.md, MQA mode of MLA):
 *   dense : 2·H·(Dqk+Dv)·n                       (q·k and p·v, one FMA = 2 FLOPs)
 *   sparse: n ≤ k → dense (engines skip the indexer: DSA equals dense there)
 *           n > k → indexer 2·H_I·D_I·n  +  attention 2·H·(Dqk+Dv)·k
 * At V3.2 (H 128, Dqk 576, Dv 512): dense = 278,528·n FLOPs; indexer = 16,384·n.
 *
 * Bytes per layer and token (cache reads only; q, outputs and weights are ignored):
 *   decode dense : cache_bytes·n;  sparse n > k: indexer_bytes·n + cache_bytes·k
 *   prefill chunk of C queries: the chunk reads the cache (and indexer keys) once, so
 *   those reads are divided by C; each sparse query still gathers its own k entries.
 */
import { attentionShape, type AttentionShape, type ModelProfile } from './profiles.js';

export type Mode = 'decode' | 'prefill';
export type AttentionKind = 'dense' | 'sparse';

export interface LayerCost {
  /** All FLOPs per token and layer, indexer included. */
  flops: number;
  /** Of which the lightning indexer (0 for dense, and for sparse when n ≤ k). */
  indexer_flops: number;
  /** Cache bytes read per token and layer. */
  bytes: number;
  /** Of which indexer keys. */
  indexer_bytes: number;
}

export interface CostQuery {
  mode: Mode;
  attention: AttentionKind;
  /** Visible keys of the last query (decode) or the chunk's last query (prefill). */
  position: number;
  /** Prefill chunk size (queries ending at `position`); ignored for decode. */
  chunk?: number;
  /**
   * Shape of dense attention for MLA profiles: 'mqa' (absorbed, how decode and DSA run, and
   * how the engine measures) or 'mha' (un-absorbed, how DeepSeek's dense model prefills).
   */
  denseForm?: 'mqa' | 'mha';
  /** Prefill only: amortise cache reads over this many queries (default: the chunk). */
  bytesChunk?: number;
}

/** FLOPs of one query over n keys: 2·H·(Dqk+Dv)·n. */
export function attentionFlops(shape: AttentionShape, n: number): number {
  return 2 * shape.heads * (shape.dqk + shape.dv) * n;
}

/** FLOPs of the lightning indexer for one query over n keys: 2·H_I·D_I·n. */
export function indexerFlops(p: ModelProfile, n: number): number {
  return 2 * p.indexer.heads * p.indexer.dim * n;
}

/** Per-token cache bytes of the dense form (for MLA in MHA form: bf16 decompressed K and V). */
function denseCacheBytes(p: ModelProfile, shape: AttentionShape): number {
  if (p.attention.kind === 'mla' && shape.form === 'mha') return shape.kvHeads * (shape.dqk + shape.dv) * 2;
  return p.cache.bytes_per_token;
}

/** Cost of one query that sees n keys (FLOPs) — the building block of every mode. */
function queryFlops(p: ModelProfile, attention: AttentionKind, n: number, dense: AttentionShape, mqa: AttentionShape): { flops: number; indexer: number } {
  const k = p.indexer.topk;
  if (attention === 'dense' || n <= k) {
    const shape = attention === 'dense' ? dense : mqa;
    return { flops: attentionFlops(shape, n), indexer: 0 };
  }
  const ix = indexerFlops(p, n);
  return { flops: ix + attentionFlops(mqa, k), indexer: ix };
}

/** Per-token, per-layer attention cost at a position (see the header for the formulas). */
export function layerCost(p: ModelProfile, q: CostQuery): LayerCost {
  const pos = Math.floor(q.position);
  if (!(pos >= 1)) throw new RangeError(`position must be ≥ 1, got ${q.position}`);
  const mqa = attentionShape(p, 'mqa');
  const dense = attentionShape(p, q.denseForm ?? 'mqa');
  const k = p.indexer.topk;
  const chunk = q.mode === 'decode' ? 1 : Math.max(1, Math.min(Math.floor(q.chunk ?? 1), pos));
  // FLOPs: average over the chunk's queries, which see pos-chunk+1 … pos keys.
  let flops = 0;
  let ixFlops = 0;
  for (let n = pos - chunk + 1; n <= pos; n++) {
    const c = queryFlops(p, q.attention, n, dense, mqa);
    flops += c.flops;
    ixFlops += c.indexer;
  }
  flops /= chunk;
  ixFlops /= chunk;
  // Bytes: decode reads everything per token; prefill shares the sequential reads over the chunk.
  const share = q.mode === 'decode' ? 1 : Math.max(1, Math.min(Math.floor(q.bytesChunk ?? chunk), pos));
  let bytes: number;
  let ixBytes = 0;
  if (q.attention === 'dense') {
    bytes = (denseCacheBytes(p, dense) * pos) / share;
  } else if (pos <= k) {
    bytes = (p.cache.bytes_per_token * pos) / share;
  } else {
    ixBytes = (p.cache.indexer_bytes_per_token * pos) / share;
    bytes = ixBytes + p.cache.bytes_per_token * k;
  }
  return { flops, indexer_flops: ixFlops, bytes, indexer_bytes: ixBytes };
}

/** Non-attention FLOPs per token: 2 × active parameters (projections, FFN/MoE, head). */
export function nonAttentionFlops(p: ModelProfile): number {
  return 2 * p.active_params;
}

/** Whole-model FLOPs per token: layers × attention + non-attention. */
export function modelFlops(p: ModelProfile, q: CostQuery): number {
  return p.layers * layerCost(p, q).flops + nonAttentionFlops(p);
}

/**
 * Smallest position above k from which `sparse(p) < dense(p)` holds, by doubling then
 * bisection on integers; null when sparse is never cheaper up to `limit`. Valid for cost
 * functions whose difference changes sign once above k (true of every model here).
 */
export function breakEven(cost: (attention: AttentionKind, position: number) => number, k: number, limit: number): number | null {
  const cheaper = (pos: number): boolean => cost('sparse', pos) < cost('dense', pos);
  let lo = k; // sparse == dense at k (not cheaper)
  let hi = k + 1;
  while (!cheaper(hi)) {
    lo = hi;
    hi = Math.min(limit, hi * 2);
    if (lo >= limit) return null;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (cheaper(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
