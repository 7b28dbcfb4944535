/**
 * End-to-end cost of one long-context item on the built-in model, dense vs sparse: prefill of
 * a real single-needle prompt (the long-context generator's items, byte tokens), then 64
 * greedy decode steps (EOS ignored, so every item decodes the same number of tokens).
 *
 *   npm run build && node dist/bench/model-e2e.js [--model dsa-mini] [--lengths 4K,8K,16K]
 *       [--items 3] [--threads 1] [--json FILE]
 *
 * Per length: the median over items of prefill ms, decode ms/token and total ms for each
 * attention (dense and sparse are alternated item by item, so a change in machine load hits
 * both), then sparse/dense ratios: total time, prefill time per token, decode tokens/s.
 */
import { writeFileSync } from 'node:fs';
import { loadModel } from '../src/model/checkpoint.js';
import { createNativeModel, type AttentionMode } from '../src/model/native.js';
import { encodeChat } from '../src/model/tokens.js';
import { longContextGenerator } from '../src/suites/longcontext/generate.js';
import { engineInfo } from '../src/engine/index.js';
import { median } from '../src/util/stats.js';
import { arg } from './args.js';

const parseLen = (s: string): number => (/k$/i.test(s) ? Number(s.slice(0, -1)) * 1024 : Number(s));
const lengths = arg('lengths', '4K,8K,16K').split(',').map(parseLen);
const items = Number(arg('items', '3'));
const threads = Number(arg('threads', '1'));
const modelSpec = arg('model', 'dsa-mini');
const jsonOut = arg('json', '');
const DECODE = 64;

const m = loadModel(modelSpec);
const model = createNativeModel(m.config, m.params);
const gen = await longContextGenerator(0, { tokenizer: 'byte', lengths, depths: items, tasks: ['niah_single_2'] });

interface Timing { prefill_ms: number; decode_ms_per_token: number; total_ms: number; prompt_tokens: number }
function runItem(tokens: Int32Array, attention: AttentionMode): Timing {
  const s = model.session({ maxLength: tokens.length + DECODE, attention, threads });
  const t0 = performance.now();
  let logits = s.forward(tokens);
  const t1 = performance.now();
  for (let i = 0; i < DECODE; i++) {
    let best = 0;
    for (let v = 1; v < 256; v++) if (logits[v]! > logits[best]!) best = v;  // bytes only: EOS ignored
    logits = s.forward(Int32Array.of(best));
  }
  const t2 = performance.now();
  s.close();  // the session's caches are native memory; free them now, not at the next GC
  return { prefill_ms: t1 - t0, decode_ms_per_token: (t2 - t1) / DECODE, total_ms: t2 - t0, prompt_tokens: tokens.length };
}

const rows = [];
console.log(`model ${m.dir} (index ${m.config.index_n_heads}×${m.config.index_head_dim}, k = ${m.config.index_topk}); ${engineInfo().simd}; threads ${threads}; ${items} item(s) per length, ${DECODE} decode steps`);
for (const L of lengths) {
  const its = gen.filter((it) => it.metadata?.['length'] === L).slice(0, items);
  const res: Record<AttentionMode, Timing[]> = { dense: [], sparse: [] };
  for (const it of its) {
    const tokens = Int32Array.from(encodeChat([{ role: 'user', content: String(it.input['prompt']) }]));
    for (const attention of ['dense', 'sparse'] as const) res[attention].push(runItem(tokens, attention));
  }
  const med = (a: AttentionMode, k: keyof Timing): number => median(res[a].map((t) => t[k]));
  const row = {
    length: L,
    prompt_tokens: med('dense', 'prompt_tokens'),
    dense: { prefill_ms: med('dense', 'prefill_ms'), decode_ms_per_token: med('dense', 'decode_ms_per_token'), total_ms: med('dense', 'total_ms') },
    sparse: { prefill_ms: med('sparse', 'prefill_ms'), decode_ms_per_token: med('sparse', 'decode_ms_per_token'), total_ms: med('sparse', 'total_ms') },
    total_ratio: median(res.sparse.map((s, i) => s.total_ms / res.dense[i]!.total_ms)),
    prefill_ratio: median(res.sparse.map((s, i) => s.prefill_ms / res.dense[i]!.prefill_ms)),
    decode_speedup: median(res.sparse.map((s, i) => res.dense[i]!.decode_ms_per_token / s.decode_ms_per_token)),
  };
  rows.push(row);
  console.log(`${L}: ${row.prompt_tokens} prompt tokens | dense prefill ${row.dense.prefill_ms.toFixed(0)} ms, decode ${row.dense.decode_ms_per_token.toFixed(2)} ms/tok, total ${row.dense.total_ms.toFixed(0)} ms | sparse prefill ${row.sparse.prefill_ms.toFixed(0)} ms, decode ${row.sparse.decode_ms_per_token.toFixed(2)} ms/tok, total ${row.sparse.total_ms.toFixed(0)} ms | sparse/dense total ${row.total_ratio.toFixed(3)}, prefill ${row.prefill_ratio.toFixed(3)}, decode tokens/s ×${row.decode_speedup.toFixed(2)}`);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ model: m.dir, config: m.config, simd: engineInfo().simd, threads, items, decode_steps: DECODE, rows }, null, 1) + '\n');
