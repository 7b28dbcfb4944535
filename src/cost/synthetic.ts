/**
 * Structured synthetic attention inputs for the fidelity study (never plain random vectors:
 * their attention is flat and top-k of it says nothing).
 *
 * Layout (MQA mode, one shared cache): kv [L, D] with D = Dc + Dp,
 *   dims [0, Dc)      content: a random unit-variance direction per key (the "background")
 *   dims [Dc, Dc+Dp)  position: RoPE-like (cos ωf·s, sin ωf·s) pairs, ωf log-spaced 1 … 1/4096
 * Queries q [T, H, D] at the last T positions; scale = 1 (logits built at their magnitude):
 *   - local:    every head carries the position features of its own position × LOCAL (8),
 *               so q·k adds 8·mean_f cos(ωf·(t−s)): a recency bias decaying ~log-distance;
 *   - sinks:    the first SINKS (4) keys share a sink direction u; every query has u × SINK
 *               (10), so those keys score ≈ +10 for all heads (the attention-sink pattern);
 *   - retrieval: half of the (query, head) pairs look up a "needle": a key at a random earlier
 *               position whose content direction the query copies × NEEDLE (12);
 *   - background: each query adds a random content direction × BACKGROUND (1.5), so every
 *               key gets an N(0, 1.5²) logit: a heavy lognormal tail, not a flat sea.
 * Indexer inputs see the same structure through a lossy lens, as a trained indexer would:
 *   k_I[s] = R·kv[s], q_I[t,j] = R·q[t, j mod H] + N(0, INDEXER_NOISE²) per dim, with R a
 *   random orthonormal map D → DI (DI ≥ D: dot products kept exactly; DI < D: a lossy random
 *   projection). The query noise gives each indexer logit an error of std ≈ 0.5·|k| ≈ 0.7;
 *   then ReLU and the head weights w[t,j] = 1/HI (one head in four at −0.25/HI) mix heads.
 */
import { mulberry32 } from '../util/stats.js';

export const SYNTHETIC_MIX = {
  sinks: 4,
  sink_logit: 10,
  local_logit: 8,
  needle_logit: 12,
  retrieval_fraction: 0.5,
  background_std: 1.5,
  indexer_noise: 0.5,
} as const;

export interface SyntheticShape {
  /** Cache length (keys). */
  L: number;
  /** Query tokens at positions L−T … L−1. */
  T: number;
  H: number;
  /** Content dims; the cache entry has D = dc + dp dims. */
  dc: number;
  /** Position dims (even). */
  dp: number;
  /** Value dims: the first dv dims of each entry (dv ≤ D). */
  dv: number;
  /** Indexer heads and dim. */
  hi: number;
  di: number;
}

export interface SyntheticInputs {
  shape: SyntheticShape;
  D: number;
  qStart: number;
  scale: number;
  q: Float32Array; // [T, H, D]
  kv: Float32Array; // [L, D]
  qI: Float32Array; // [T, HI, DI]
  kI: Float32Array; // [L, DI]
  w: Float32Array; // [T, HI]
  /** Needle position of each (t, h) that retrieves, else −1: [T, H]. */
  needles: Int32Array;
}

export const DEFAULT_SYNTHETIC: SyntheticShape = { L: 16384, T: 8, H: 8, dc: 48, dp: 32, dv: 64, hi: 8, di: 96 };

function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export function makeSynthetic(shape: SyntheticShape = DEFAULT_SYNTHETIC, seed = 1): SyntheticInputs {
  const { L, T, H, dc, dp, dv, hi, di } = shape;
  if (dp % 2 !== 0) throw new RangeError('dp must be even');
  if (T > L) throw new RangeError('T must be ≤ L');
  const D = dc + dp;
  if (dv > D) throw new RangeError('dv must be ≤ dc + dp');
  const rand = mulberry32(seed);
  const gauss = gaussian(rand);
  const nf = dp / 2;
  const omega = Array.from({ length: nf }, (_, f) => Math.pow(4096, -f / Math.max(1, nf - 1)));
  const posFeat = (pos: number, out: Float32Array, off: number, amp: number): void => {
    for (let f = 0; f < nf; f++) {
      out[off + dc + 2 * f] += amp * Math.cos(omega[f]! * pos);
      out[off + dc + 2 * f + 1] += amp * Math.sin(omega[f]! * pos);
    }
  };
  // Sink direction: a fixed unit vector in content space.
  const u = new Float32Array(dc);
  let un = 0;
  for (let i = 0; i < dc; i++) {
    u[i] = gauss();
    un += u[i]! * u[i]!;
  }
  for (let i = 0; i < dc; i++) u[i]! /= Math.sqrt(un);

  const kv = new Float32Array(L * D);
  const invDc = 1 / Math.sqrt(dc);
  for (let s = 0; s < L; s++) {
    const off = s * D;
    for (let i = 0; i < dc; i++) kv[off + i] = gauss() * invDc; // |content| ≈ 1
    if (s < SYNTHETIC_MIX.sinks) for (let i = 0; i < dc; i++) kv[off + i] = u[i]!;
    posFeat(s, kv, off, 1);
  }
  const qStart = L - T;
  const q = new Float32Array(T * H * D);
  const needles = new Int32Array(T * H).fill(-1);
  for (let t = 0; t < T; t++) {
    const pos = qStart + t;
    for (let h = 0; h < H; h++) {
      const off = (t * H + h) * D;
      // Background: random content direction × std → N(0, std²) logit per key.
      for (let i = 0; i < dc; i++) q[off + i] = gauss() * SYNTHETIC_MIX.background_std;
      // Sink: + sink_logit on the sink keys (u is unit, sink keys are u).
      for (let i = 0; i < dc; i++) q[off + i]! += SYNTHETIC_MIX.sink_logit * u[i]!;
      // Local: the key's position features (amplitude 1 each) dot these → local_logit·mean cos.
      posFeat(pos, q, off, SYNTHETIC_MIX.local_logit / nf);
      if (rand() < SYNTHETIC_MIX.retrieval_fraction && pos > SYNTHETIC_MIX.sinks + 64) {
        // Needle far from the local window and the sinks.
        const n = SYNTHETIC_MIX.sinks + Math.floor(rand() * (pos - SYNTHETIC_MIX.sinks - 64));
        needles[t * H + h] = n;
        let nn = 0;
        for (let i = 0; i < dc; i++) nn += kv[n * D + i]! * kv[n * D + i]!;
        for (let i = 0; i < dc; i++) q[off + i]! += (SYNTHETIC_MIX.needle_logit * kv[n * D + i]!) / nn;
      }
    }
  }
  // Indexer map R [DI, D]: orthonormal columns when DI ≥ D (Gram-Schmidt on Gaussians),
  // else a Gaussian projection with entries N(0, 1/DI) (dot products kept in expectation).
  const R = new Float32Array(di * D);
  const invDi = 1 / Math.sqrt(di);
  for (let i = 0; i < R.length; i++) R[i] = gauss() * invDi;
  if (di >= D) {
    for (let c = 0; c < D; c++) {
      for (let c2 = 0; c2 < c; c2++) {
        let dot = 0;
        for (let r = 0; r < di; r++) dot += R[r * D + c]! * R[r * D + c2]!;
        for (let r = 0; r < di; r++) R[r * D + c]! -= dot * R[r * D + c2]!;
      }
      let n = 0;
      for (let r = 0; r < di; r++) n += R[r * D + c]! * R[r * D + c]!;
      for (let r = 0; r < di; r++) R[r * D + c]! /= Math.sqrt(n);
    }
  }
  const project = (src: Float32Array, so: number, dst: Float32Array, dOff: number): void => {
    for (let r = 0; r < di; r++) {
      let acc = 0;
      for (let c = 0; c < D; c++) acc += R[r * D + c]! * src[so + c]!;
      dst[dOff + r] = acc;
    }
  };
  const kI = new Float32Array(L * di);
  for (let s = 0; s < L; s++) project(kv, s * D, kI, s * di);
  const qI = new Float32Array(T * hi * di);
  const w = new Float32Array(T * hi);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < hi; j++) {
      project(q, (t * H + (j % H)) * D, qI, (t * hi + j) * di);
      for (let d = 0; d < di; d++) qI[(t * hi + j) * di + d]! += gauss() * SYNTHETIC_MIX.indexer_noise;
      w[t * hi + j] = (j % 4 === 3 ? -0.25 : 1) / hi;
    }
  }
  return { shape, D, qStart, scale: 1, q, kv, qI, kI, w, needles };
}
