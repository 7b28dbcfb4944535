/** safetensors: round trip of every dtype, header padding, metadata, and rejection of broken files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DsabenchError } from '../../src/errors.js';
import { readSafetensors, writeSafetensors } from '../../src/engine/safetensors.js';

function header(obj: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = Buffer.from(JSON.stringify(obj));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

test('round trip of F32, BF16, I32 with metadata', () => {
  const f = new Float32Array([1.5, -2, Infinity, 0]);
  const b = new Uint16Array([0x3f80, 0xbf80, 7]);
  const i = new Int32Array([-1, 2, 2 ** 31 - 1, 0, 5, 6]);
  const buf = writeSafetensors({ a: { dtype: 'F32', shape: [2, 2], data: f }, b: { dtype: 'BF16', shape: [3], data: b }, i: { dtype: 'I32', shape: [2, 3], data: i } }, { topk: '2048', fp8: 'true' });
  const hlen = Number(new DataView(buf.buffer).getBigUint64(0, true));
  assert.equal((8 + hlen) % 8, 0, 'data section is 8-byte aligned');
  const r = readSafetensors(buf);
  assert.deepEqual(r.metadata, { topk: '2048', fp8: 'true' });
  assert.deepEqual(r.tensors.get('a'), { dtype: 'F32', shape: [2, 2], data: f });
  assert.deepEqual(r.tensors.get('b'), { dtype: 'BF16', shape: [3], data: b });
  assert.deepEqual(r.tensors.get('i'), { dtype: 'I32', shape: [2, 3], data: i });
});

test('F16, F64 and I64 are read as F32 / I32', () => {
  const data = new Uint8Array(2 * 2 + 8 + 16);
  const dv = new DataView(data.buffer);
  dv.setUint16(0, 0x3c00, true); // 1.0
  dv.setUint16(2, 0xc000, true); // -2.0
  dv.setFloat64(4, 0.25, true);
  dv.setBigInt64(12, -7n, true);
  dv.setBigInt64(20, 9n, true);
  const buf = header({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] }, d: { dtype: 'F64', shape: [1], data_offsets: [4, 12] }, l: { dtype: 'I64', shape: [2], data_offsets: [12, 28] } }, data);
  const r = readSafetensors(buf);
  assert.deepEqual([...r.tensors.get('h')!.data], [1, -2]);
  assert.deepEqual([...r.tensors.get('d')!.data], [0.25]);
  assert.deepEqual(r.tensors.get('l'), { dtype: 'I32', shape: [2], data: new Int32Array([-7, 9]) });
});

test('broken files are E_TENSOR_INVALID naming the field', () => {
  const bad = (buf: Uint8Array, field?: string) => {
    assert.throws(() => readSafetensors(buf, 'x.safetensors'), (e: unknown) => {
      assert.ok(e instanceof DsabenchError);
      assert.equal(e.code, 'E_TENSOR_INVALID');
      assert.equal(e.file, 'x.safetensors');
      if (field) assert.equal(e.field, field);
      return true;
    });
  };
  bad(new Uint8Array(3));
  bad(header({ a: 1 }).subarray(0, 10));
  bad(new Uint8Array([...header({}).subarray(0, 8), 0x7b, 0x7b]));
  bad(header([1, 2]));
  bad(header({ a: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'a.dtype');
  bad(header({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'a.shape');
  bad(header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), 'a.data_offsets');
  bad(header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), 'a');
  bad(header({ __metadata__: { n: 3 } }), '__metadata__.n');
  const big = new Uint8Array(8);
  new DataView(big.buffer).setBigInt64(0, 2n ** 40n, true);
  bad(new Uint8Array([...header({ l: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }).subarray(0, 0)]));
  bad(header({ l: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, big), 'l');
});
