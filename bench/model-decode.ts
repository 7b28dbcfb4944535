/**
 * Decode speed of the built-in model: tokens per second of greedy single-token steps with a
 * KV cache holding `L` tokens, dense vs sparse (DSA) attention, on the shipped model's shape
 * (weights do not change the speed, so a random initialisation is used when the shipped
 * checkpoint is absent). Also the prefill rate of building that cache, with either attention.
 *
 *   npm run build && node dist/bench/model-decode.js [--lengths 1K,4K,12K] [--threads 1,2]
 *       [--steps 64] [--runs 3] [--model dsa-mini] [--json FILE]
 *
 * Per (L, threads, attention): median over --runs of the mean step time of --steps decode
 * steps starting at position L; tok/s = 1000 / ms. The ratio column is dense ms / sparse ms.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { DEFAULT_CONFIG, type ModelConfig } from '../src/model/config.js';
import { createNativeModel, modelLayout, numParams, type AttentionMode } from '../src/model/native.js';
import { loadModel, resolveModelDir } from '../src/model/checkpoint.js';
import { engineInfo } from '../src/engine/index.js';
import { arg } from './args.js';
import { median } from '../src/util/stats.js';

const parseLen = (s: string): number => (/k$/i.test(s) ? Number(s.slice(0, -1)) * 1024 : Number(s));
const lengths = arg('lengths', '1K,4K,12K').split(',').map(parseLen);
const threadList = arg('threads', '1,2').split(',').map(Number);
const steps = Number(arg('steps', '64'));
const runs = Number(arg('runs', '3'));
const modelSpec = arg('model', 'dsa-mini');
const jsonOut = arg('json', '');

let config: ModelConfig = DEFAULT_CONFIG;
let params: Float32Array;
let source = 'random init (DEFAULT_CONFIG)';
const dir = (() => { try { return resolveModelDir(modelSpec); } catch { return null; } })();
if (dir && existsSync(`${dir}/model.safetensors`)) {
  const m = loadModel(modelSpec);
  config = m.config;
  params = m.params;
  source = m.dir;
} else {
  params = new Float32Array(numParams(modelLayout(config)));
}
const model = createNativeModel(config, params);
if (source.startsWith('random')) model.initParams(1);

interface Row { attention: AttentionMode; length: number; threads: number; topk: number; decode_ms: number; tok_s: number; prefill_tok_s: number }
const rows: Row[] = [];
console.log(`model: ${source}; simd ${engineInfo().simd}; k = ${config.index_topk}; ${steps} steps, median of ${runs}`);
for (const L of lengths) {
  const tokens = new Int32Array(L);
  for (let i = 0; i < L; i++) tokens[i] = 32 + ((i * 7919) % 90);
  for (const threads of threadList) {
    for (const attention of ['dense', 'sparse'] as AttentionMode[]) {
      const stepMs: number[] = [], prefill: number[] = [];
      for (let r = 0; r < runs; r++) {
        const s = model.session({ maxLength: L + steps + 1, attention, threads });
        let t0 = performance.now();
        let logits = s.forward(tokens);
        prefill.push(L / ((performance.now() - t0) / 1000));
        t0 = performance.now();
        for (let k = 0; k < steps; k++) {
          let best = 0;
          for (let v = 1; v < logits.length; v++) if (logits[v]! > logits[best]!) best = v;
          logits = s.forward(Int32Array.of(best < 256 ? best : 32));
        }
        stepMs.push((performance.now() - t0) / steps);
      }
      const ms = median(stepMs);
      rows.push({ attention, length: L, threads, topk: config.index_topk, decode_ms: ms, tok_s: 1000 / ms, prefill_tok_s: median(prefill) });
    }
  }
}
console.log('L        threads  dense tok/s  sparse tok/s  dense/sparse  prefill tok/s (dense)  prefill tok/s (sparse)');
for (const L of lengths)
  for (const threads of threadList) {
    const d = rows.find((r) => r.length === L && r.threads === threads && r.attention === 'dense')!;
    const s = rows.find((r) => r.length === L && r.threads === threads && r.attention === 'sparse')!;
    console.log(`${String(L).padEnd(9)}${String(threads).padEnd(9)}${d.tok_s.toFixed(0).padStart(11)}  ${s.tok_s.toFixed(0).padStart(12)}  ${(d.decode_ms / s.decode_ms).toFixed(2).padStart(12)}  ${d.prefill_tok_s.toFixed(0).padStart(21)}  ${s.prefill_tok_s.toFixed(0).padStart(22)}`);
  }
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ model: source, simd: engineInfo().simd, steps, runs, rows }, null, 2) + '\n');
