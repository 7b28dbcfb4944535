/** Test factories for engine inputs: seeded random tensors and a relative-error measure. */
import { mulberry32 } from '../../src/util/stats.js';

export function rng(seed: number): () => number {
  return mulberry32(seed);
}

export function randF32(n: number, rnd: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rnd() - 0.5) * 2 * scale;
  return a;
}

/** max |a-b| / max |b| over finite entries; equal infinities must match exactly (else Infinity). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (x !== y) return Infinity;
      continue;
    }
    num = Math.max(num, Math.abs(x - y));
    den = Math.max(den, Math.abs(y));
  }
  return num / (den || 1);
}

/**
 * The largest violation of per-row absolute bounds: max over rows r and elements of
 * (|a − b| − bound[r] − slack·max|b|) where each row holds `width` elements; ≤ 0 when every
 * element is within its row's bound (slack: fp32 accumulation). Infinities must match.
 */
export function boundExcess(a: ArrayLike<number>, b: ArrayLike<number>, bound: ArrayLike<number>, width: number, slack = 1e-5): number {
  if (a.length !== b.length || a.length !== bound.length * width) return Infinity;
  let big = 0;
  for (let i = 0; i < b.length; i++) if (Number.isFinite(b[i]!)) big = Math.max(big, Math.abs(b[i]!));
  let worst = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (x !== y) return Infinity;
      continue;
    }
    worst = Math.max(worst, Math.abs(x - y) - bound[Math.floor(i / width)]! - slack * big);
  }
  return worst;
}
