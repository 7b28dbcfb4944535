/** bf16 ⇄ fp32 conversion (round to nearest even; NaN stays NaN). */
import type { Bf16Tensor, CacheTensor } from './types.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function toBf16(x: Float32Array): Bf16Tensor {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    f32[0] = x[i]!;
    const b = u32[0]!;
    if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) {
      out[i] = (b >>> 16) | 0x40;
      continue;
    }
    const rounded = b + 0x7fff + ((b >>> 16) & 1);
    out[i] = (rounded >>> 16) & 0xffff;
  }
  return { dtype: 'bf16', data: out };
}

export function bf16ToF32(x: Uint16Array): Float32Array {
  const out = new Float32Array(x.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < x.length; i++) bits[i] = x[i]! << 16;
  return out;
}

export function isBf16(t: unknown): t is Bf16Tensor {
  return typeof t === 'object' && t !== null && (t as Bf16Tensor).dtype === 'bf16' && (t as Bf16Tensor).data instanceof Uint16Array;
}

/** fp32 view of a cache tensor (copies bf16). */
export function cacheToF32(t: CacheTensor): Float32Array {
  return t instanceof Float32Array ? t : bf16ToF32(t.data);
}

export function cacheLength(t: CacheTensor): number {
  return t instanceof Float32Array ? t.length : t.data.length;
}
