/**
 * safetensors read/write: 8-byte little-endian header length N, N bytes of JSON header
 * ({ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { key: string } }),
 * then the raw little-endian tensor bytes (offsets relative to the end of the header).
 * Supported dtypes: F32, BF16 (kept as Uint16Array bits), F16 and F64 (read as F32),
 * I32, I64 (read as I32 when every value fits).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DsabenchError } from '../errors.js';

export type StDtype = 'F32' | 'BF16' | 'I32';

export interface StTensor {
  dtype: StDtype;
  shape: number[];
  data: Float32Array | Uint16Array | Int32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, StTensor>;
  metadata: Record<string, string>;
}

const ELEM: Record<string, number> = { F32: 4, BF16: 2, F16: 2, F64: 8, I32: 4, I64: 8 };

function bad(file: string | undefined, field: string | undefined, msg: string): never {
  throw new DsabenchError('E_TENSOR_INVALID', msg, { file, field });
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Parses a safetensors buffer; `file` is only used in error messages. */
export function readSafetensors(buf: Uint8Array, file?: string): SafetensorsFile {
  if (buf.length < 8) bad(file, undefined, 'file too short for a safetensors header (need 8 bytes)');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n < 2 || 8 + n > buf.length) bad(file, undefined, `header length ${n} does not fit in a ${buf.length}-byte file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    bad(file, undefined, `header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) bad(file, undefined, 'header must be a JSON object');
  const base = 8 + n;
  const dataLen = buf.length - base;
  const tensors = new Map<string, StTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) bad(file, name, '__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>))
        if (typeof v !== 'string') bad(file, `__metadata__.${k}`, 'metadata values must be strings');
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) bad(file, name, 'tensor entry must be an object');
    if (typeof e.dtype !== 'string' || !(e.dtype in ELEM)) bad(file, `${name}.dtype`, `unsupported dtype ${String(e.dtype)} (F32, BF16, F16, F64, I32, I64)`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) bad(file, `${name}.shape`, 'shape must be an array of non-negative integers');
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[0] > off[1] || off[1] > dataLen)
      bad(file, `${name}.data_offsets`, `data_offsets must be [begin, end] inside the ${dataLen}-byte data section`);
    const shape = e.shape as number[];
    const count = shape.reduce((p, d) => p * d, 1);
    const size = ELEM[e.dtype]!;
    const [b, end] = off as [number, number];
    if (end - b !== count * size) bad(file, name, `holds ${end - b} bytes, shape ${JSON.stringify(shape)} × ${e.dtype} needs ${count * size}`);
    const bytes = buf.slice(base + b, base + end); // copy: aligned and independent of the file buffer
    const view = new DataView(bytes.buffer);
    let t: StTensor;
    switch (e.dtype) {
      case 'F32':
        t = { dtype: 'F32', shape, data: new Float32Array(bytes.buffer, 0, count) };
        break;
      case 'BF16':
        t = { dtype: 'BF16', shape, data: new Uint16Array(bytes.buffer, 0, count) };
        break;
      case 'I32':
        t = { dtype: 'I32', shape, data: new Int32Array(bytes.buffer, 0, count) };
        break;
      case 'F16': {
        const d = new Float32Array(count);
        for (let i = 0; i < count; i++) d[i] = f16ToF32(view.getUint16(2 * i, true));
        t = { dtype: 'F32', shape, data: d };
        break;
      }
      case 'F64': {
        const d = new Float32Array(count);
        for (let i = 0; i < count; i++) d[i] = view.getFloat64(8 * i, true);
        t = { dtype: 'F32', shape, data: d };
        break;
      }
      default: {
        const d = new Int32Array(count);
        for (let i = 0; i < count; i++) {
          const v = view.getBigInt64(8 * i, true);
          if (v < -(2n ** 31n) || v >= 2n ** 31n) bad(file, name, `I64 value ${v} at element ${i} does not fit in int32`);
          d[i] = Number(v);
        }
        t = { dtype: 'I32', shape, data: d };
      }
    }
    tensors.set(name, t);
  }
  return { tensors, metadata };
}

/** Serialises tensors (in the given order) and string metadata. */
export function writeSafetensors(tensors: Record<string, StTensor> | Map<string, StTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let off = 0;
  for (const [name, t] of entries) {
    const count = t.shape.reduce((p, d) => p * d, 1);
    if (count !== t.data.length) throw new DsabenchError('E_TENSOR_INVALID', `${name}: shape ${JSON.stringify(t.shape)} does not match ${t.data.length} elements`, { field: name });
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const hb = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + hb.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const [, t] of entries) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}

export function readSafetensorsFile(path: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new DsabenchError('E_FILE_NOT_FOUND', `cannot read ${path}: ${(e as Error).message}`, { file: path, cause: e });
  }
  return readSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

export function writeSafetensorsFile(path: string, tensors: Record<string, StTensor> | Map<string, StTensor>, metadata?: Record<string, string>): void {
  writeFileSync(path, writeSafetensors(tensors, metadata));
}
