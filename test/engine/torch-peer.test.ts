/**
 * The PyTorch peer of `bench attention` is timed at its best available path and says which
 * path won and which BLAS it ran on: parsing and labelling on injected timings (no test here
 * depends on how fast the machine is), plus one tiny real run where python3 has torch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addTorch, formatBenchTable, torchInfo, type AttentionBenchResult, type AttentionBenchRow } from '../../src/engine/bench.js';
import { blasKind, blasWarning, findTorchPython, parseTorchPeerOutput, runTorchPeer } from '../../src/engine/torch-peer.js';

const REF = '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0';
const OPEN = '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3';

/** The script's output line: at 16K the plain matmul (OpenBLAS) beats oneDNN, at 1K oneDNN wins. */
function peerLine(libraries: Array<{ path: string; probe: string | null; config: string | null }>): string {
  return JSON.stringify({
    version: '1.13.0a0',
    blas: { libraries, build: 'generic' },
    ms: { '1024': { matmul: 3.2, mkldnn_linear: 2.9 }, '16384': { matmul: 44, mkldnn_linear: 207 } },
    cpu_ms: { '1024': { matmul: 6, mkldnn_linear: 5.5 }, '16384': { matmul: 80, mkldnn_linear: 400 } },
    dropped: {},
  });
}

test('each length takes the fastest path, and the result says which path won', () => {
  const r = parseTorchPeerOutput('progress line\n' + peerLine([{ path: OPEN, probe: 'openblas', config: 'OpenBLAS 0.3.21 DYNAMIC_ARCH' }]), 'python3');
  assert.equal(r.ms[16384], 44);
  assert.equal(r.path[16384], 'matmul');
  assert.equal(r.ms[1024], 2.9);
  assert.equal(r.path[1024], 'mkldnn_linear');
  assert.deepEqual(r.paths[16384], { matmul: 44, mkldnn_linear: 207 });
  assert.deepEqual(r.cpu_ms[16384], { matmul: 80, mkldnn_linear: 400 });
  assert.equal(r.method, 'mkldnn_linear,matmul');
  assert.deepEqual(r.blas, { kind: 'openblas', library: OPEN, build: 'generic', config: 'OpenBLAS 0.3.21 DYNAMIC_ARCH' });
});

test('sdpa competes where torch has it; a path with no finite time does not win', () => {
  const line = JSON.stringify({
    version: '2.1.0', blas: { libraries: [], build: 'mkl' },
    ms: { '4096': { matmul: 12, sdpa: 9.5, mkldnn_linear: null } }, dropped: { '4096': { mkldnn_linear: 'output differs' } },
  });
  const r = parseTorchPeerOutput(line, 'python3');
  assert.equal(r.path[4096], 'sdpa');
  assert.equal(r.ms[4096], 9.5);
  assert.deepEqual(r.paths[4096], { matmul: 12, sdpa: 9.5 });
  assert.deepEqual(r.dropped[4096], { mkldnn_linear: 'output differs' });
  assert.equal(r.blas.kind, 'unknown');
});

test('the BLAS is read from the library torch loaded, and the reference BLAS draws a warning', () => {
  assert.equal(blasKind({ path: REF, probe: null, config: null }), 'reference');
  assert.equal(blasKind({ path: OPEN, probe: null, config: null }), 'openblas');
  assert.equal(blasKind({ path: '/usr/lib/libblas.so.3', probe: 'openblas', config: null }), 'openblas');
  assert.equal(blasKind({ path: '/usr/lib/libblas.so.3', probe: null, config: null }), 'unknown');
  assert.equal(blasKind({ path: '/opt/intel/lib/libmkl_rt.so.2', probe: null, config: null }), 'mkl');
  // LAPACK can map the reference BLAS beside OpenBLAS: the optimised one is what runs sgemm.
  const both = parseTorchPeerOutput(peerLine([{ path: REF, probe: null, config: null }, { path: OPEN, probe: 'openblas', config: null }]), 'python3');
  assert.equal(both.blas.kind, 'openblas');
  const ref = parseTorchPeerOutput(peerLine([{ path: REF, probe: null, config: null }]), 'python3');
  assert.equal(ref.blas.kind, 'reference');
  const w = blasWarning(ref.blas)!;
  assert.match(w, /reference BLAS/);
  assert.match(w, /libopenblas0-pthread/);
  assert.equal(blasWarning(both.blas), null);
});

function denseRow(length: number, ms: number): AttentionBenchRow {
  return {
    attention: 'dense', mode: 'decode', length, threads: 2, simd: 'avx512', dtype: 'f32', arithmetic: 'fp32', T: 1, reps: 3, ms_median: ms, ms_min: ms, cpu_ms_median: ms,
    gflop: 1, gflops: 1, peak_gflops: 1, peak_fraction: 0.5, best_peak_fraction: 0.5, rss_peak_mb: 1,
  };
}

test('the table compares against the fastest path, names it, and prints the BLAS and its warning', () => {
  const peer = parseTorchPeerOutput(peerLine([{ path: REF, probe: null, config: null }]), '/usr/bin/python3');
  const rows = [denseRow(1024, 2), denseRow(16384, 22)];
  addTorch(rows, peer);
  assert.equal(rows[1]!.torch_ms_median, 44);
  assert.equal(rows[1]!.speedup_vs_torch, 2); // 44 / 22, not 207 / 22
  assert.equal(rows[1]!.torch_path, 'matmul');
  assert.deepEqual(rows[1]!.torch_paths_ms, { matmul: 44, mkldnn_linear: 207 });
  // CPU time of the winning path, against the engine's CPU time (22 ms here): 80 / 22.
  assert.equal(rows[1]!.torch_cpu_ms_median, 80);
  assert.equal(rows[1]!.cpu_speedup_vs_torch, 3.64);
  const res: AttentionBenchResult = {
    options: {
      mode: 'decode', lengths: [1024, 16384], threads: 2, chunk: 16, dtypes: ['f32'], heads: 128, dqk: 576, dv: 512, indexHeads: 64, indexDim: 128,
      topk: 2048, reps: 3, torch: 'auto', simd: 'auto', seed: 1,
    },
    simd: 'avx512', peak_gflops: 1, core_peak_gflops: 1, baseline_rss_mb: 1, cache_mb: 1, torch: torchInfo(peer), rows,
  };
  const text = formatBenchTable(res, { compiler: 'test' });
  assert.match(text, /\| torch ms \(fastest path\) \| torch path \| vs torch \| torch CPU ms \| vs torch, CPU time \|/);
  assert.match(text, /\| 16384 \| f32 \| fp32 \| dense \|.*\| 44\.00 \| matmul \| 2\.00× \| 80\.0 \| 3\.64× \|$/m);
  assert.match(text, /\| 1024 \| f32 \| fp32 \| dense \|.*\| 2\.90 \| mkldnn_linear \| 1\.45× \| 5\.5 \| 2\.75× \|$/m);
  assert.match(text, /BLAS: reference \(\/usr\/lib\/x86_64-linux-gnu\/blas\/libblas\.so\.3\.11\.0\), built with BLAS_INFO=generic/);
  assert.match(text, /warning: torch's matmul runs on the reference BLAS/);
});

const torchPython = findTorchPython();

test('real peer run at toy shapes: every path timed, the fastest taken, the BLAS named', { skip: torchPython ? false : 'python3 with torch not found' }, () => {
  const r = runTorchPeer({ mode: 'prefill', lengths: [64, 96], chunk: 4, H: 2, Dqk: 16, Dv: 8, threads: 1, reps: 3 }, torchPython);
  if ('error' in r) assert.fail(r.error);
  for (const L of [64, 96]) {
    const timed: Partial<Record<string, number>> = r.paths[L]!;
    assert.ok(timed.matmul! > 0, JSON.stringify(r));
    const best = Math.min(...Object.values(timed).map(Number));
    assert.equal(r.ms[L], best);
    assert.equal(timed[r.path[L]!], best);
    assert.ok(r.cpu_ms[L]![r.path[L]!]! >= 0);
  }
  assert.notEqual(r.blas.library, null, 'torch maps a BLAS library');
  assert.match(r.blas.build ?? '', /\S/);
});
