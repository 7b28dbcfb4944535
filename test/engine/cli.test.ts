/**
 * `dsabench engine run` end to end: a real safetensors file in, the real CLI in a
 * subprocess, the output file checked against the TS reference; usage errors exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../../src/util/package.js';
import { engineInfo, reference as ref, toBf16, bf16ToF32 } from '../../src/engine/index.js';
import { readSafetensorsFile, writeSafetensorsFile } from '../../src/engine/safetensors.js';
import { boundExcess, randF32, relErr, rng } from './factory.js';

const BIN = packagePath('bin', 'dsabench.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });

test('engine run: dense (bf16 kv), dsa and topk from safetensors files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-engine-'));
  try {
    const r = rng(11);
    const T = 3, H = 8, L = 64, Dqk = 24, Dv = 16, HI = 4, DI = 16;
    const q = randF32(T * H * Dqk, r), kv = toBf16(randF32(L * Dqk, r));
    const iq = randF32(T * HI * DI, r), ik = randF32(L * DI, r), iw = randF32(T * HI, r);
    const inPath = join(dir, 'in.safetensors');
    writeSafetensorsFile(inPath, {
      q: { dtype: 'F32', shape: [T, H, Dqk], data: q },
      kv: { dtype: 'BF16', shape: [L, Dqk], data: kv.data },
      index_q: { dtype: 'F32', shape: [T, HI, DI], data: iq },
      index_k: { dtype: 'F32', shape: [L, DI], data: ik },
      index_w: { dtype: 'F32', shape: [T, HI], data: iw },
    }, { q_start: '50', dv: String(Dv), topk: '8', threads: '2', scale: '0.3' });

    const dense = run('engine', 'run', '--op', 'dense', '--in', inPath, '--out', join(dir, 'dense.safetensors'));
    assert.equal(dense.status, 0, dense.stderr);
    assert.match(dense.stdout, /dense: wrote .* \(out \[3,8,16\], lse \[3,8\]\)/);
    const d = readSafetensorsFile(join(dir, 'dense.safetensors'));
    const e = ref.attention({ q, kv: bf16ToF32(kv.data), T, H, L, Dqk, Dv, qStart: 50, scale: 0.3 });
    if (engineInfo().bf16Dot.includes(engineInfo().best)) {
      // the default kernel set multiplies a bf16 cache with bf16 dot products: within their bound
      const b = ref.attentionBf16Bounds({ q, kv, T, H, L, Dqk, Dv, qStart: 50, scale: 0.3 });
      assert.ok(boundExcess(d.tensors.get('out')!.data, e.out, b.out, Dv) <= 0);
      assert.ok(boundExcess(d.tensors.get('lse')!.data, e.lse, b.lse, 1) <= 0);
    } else {
      assert.ok(relErr(d.tensors.get('out')!.data, e.out) < 1e-4);
      assert.ok(relErr(d.tensors.get('lse')!.data, e.lse) < 1e-4);
    }

    const dsa = run('engine', 'run', '--op', 'dsa', '--in', inPath, '--out', join(dir, 'dsa.safetensors'), '--simd', 'scalar');
    assert.equal(dsa.status, 0, dsa.stderr);
    assert.match(dsa.stdout, /simd scalar/);
    const s = readSafetensorsFile(join(dir, 'dsa.safetensors'));
    const full = ref.dsa({ q, kv, T, H, L, Dqk, Dv, qStart: 50, scale: 0.3, indexer: { q: iq, k: ik, w: iw, heads: HI, dim: DI }, topk: 8 });
    assert.deepEqual(s.tensors.get('indices')!.data, full.indices);
    assert.ok(relErr(s.tensors.get('out')!.data, full.out) < 1e-4);

    const scoresPath = join(dir, 'scores.safetensors');
    writeSafetensorsFile(scoresPath, { scores: { dtype: 'F32', shape: [1, 5], data: new Float32Array([0, 2, 2, -Infinity, 1]) } }, { topk: '4' });
    const tk = run('engine', 'run', '--op', 'topk', '--in', scoresPath, '--out', join(dir, 'idx.safetensors'));
    assert.equal(tk.status, 0, tk.stderr);
    assert.deepEqual([...readSafetensorsFile(join(dir, 'idx.safetensors')).tensors.get('indices')!.data], [1, 2, 4, 0]);

    const bad = run('engine', 'run', '--op', 'sparse', '--in', inPath, '--out', join(dir, 'x.safetensors'));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /E_TENSOR_INVALID.*indices/);
    const badOp = run('engine', 'run', '--op', 'nope', '--in', inPath, '--out', join(dir, 'x.safetensors'));
    assert.equal(badOp.status, 2);
    const missing = run('engine', 'run', '--op', 'dense', '--in', join(dir, 'none.safetensors'), '--out', join(dir, 'x.safetensors'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /E_FILE_NOT_FOUND/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bench attention runs a tiny configuration and writes JSON rows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-bench-'));
  try {
    const json = join(dir, 'b.json');
    const b = run('bench', 'attention', '--lengths', '256,512', '--heads', '8', '--topk', '128', '--reps', '3', '--no-torch', '--json', json, '--mode', 'prefill', '--chunk', '4', '--dtype', 'f32,bf16');
    assert.equal(b.status, 0, b.stderr);
    const res = JSON.parse(readFileSync(json, 'utf8')) as { rows: Array<Record<string, unknown>>; peak_gflops: number; dot_peak_gflops?: number };
    assert.ok(res.peak_gflops > 0);
    assert.equal(res.rows.length, 16);
    const dot = engineInfo().bf16Dot.includes(engineInfo().best);
    assert.equal(res.dot_peak_gflops !== undefined, dot, 'a bf16 dot-product peak exactly when bf16 rows run on them');
    for (const row of res.rows) {
      // each row against the peak of its own arithmetic
      assert.equal(row.arithmetic, row.dtype === 'bf16' && dot ? 'bf16-dot' : 'fp32');
      const runPeak = row.arithmetic === 'bf16-dot' ? res.dot_peak_gflops! : res.peak_gflops;
      if (row.dtype === 'bf16') {
        assert.ok((row.speedup_vs_f32 as number) > 0, 'bf16 rows compare with the f32 row of the same case');
        if (row.attention === 'sparse') assert.ok((row.speedup_vs_dense_f32 as number) > 0);
      }
      assert.ok(['dense', 'sparse', 'indexer', 'sparse-kernel'].includes(row.attention as string));
      assert.equal(row.mode, 'prefill');
      assert.equal(row.threads, 1);
      assert.ok((row.ms_median as number) > 0 && (row.gflops as number) > 0);
      // Paired peaks never exceed the run's best, so the paired fraction is the larger one
      // (exactly, for an odd number of calls: the median of flop/ms is flop/median ms).
      const paired = row.peak_fraction as number, best = row.best_peak_fraction as number;
      assert.ok(best > 0 && paired + 0.001 >= best, `paired ${paired} vs best ${best}`);
      assert.ok((row.peak_gflops as number) <= runPeak + 0.1);
    }
    assert.match(b.stdout, /\| prefill \| 512 \| f32 \| fp32 \| dense \|/);
    assert.match(b.stdout, /\| prefill \| 512 \| bf16 \| (fp32|bf16-dot) \| dense \|/);
    const badLen = run('bench', 'attention', '--lengths', '4Q');
    assert.equal(badLen.status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
