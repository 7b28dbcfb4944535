/**
 * Native inference sessions hold their KV cache and activations outside the V8 heap (tens of
 * MB for a long prompt). These check that the memory follows the sessions in use, not the
 * number ever made: close() frees it at once, generate() closes what it opens, and a session
 * dropped without close() is still collected because V8 is told how much memory it holds.
 * Counts come from the addon (sessionStats), so nothing here depends on the machine's speed.
 */
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUICK_CONFIG, type ModelConfig } from '../../src/model/config.js';
import { generate } from '../../src/model/generate.js';
import { createNativeModel, modelLayout, numParams, sessionStats, type NativeModel } from '../../src/model/native.js';

// A thin model with a wide FFN: the activations of a prefill are large (T × 4096 floats ×
// 3) while its compute stays small, so a few sessions are many MB.
const WIDE: ModelConfig = {
  ...QUICK_CONFIG,
  hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, q_lora_rank: 8, kv_lora_rank: 8,
  qk_nope_head_dim: 4, qk_rope_head_dim: 4, v_head_dim: 4, intermediate_size: 4096, index_n_heads: 2,
  index_head_dim: 8, index_rope_head_dim: 4, index_topk: 8,
};

function wideModel(): NativeModel {
  const model = createNativeModel(WIDE, new Float32Array(numParams(modelLayout(WIDE))));
  model.initParams(1);
  return model;
}

const tokens = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i % 256);
const MB = 1024 * 1024;
const N = 30;

test('close() frees a session\'s memory at once and is idempotent; a closed session refuses forward', () => {
  const model = wideModel();
  const base = sessionStats();
  const s = model.session({ maxLength: 600, attention: 'sparse' });
  assert.equal(sessionStats().open, base.open + 1);
  s.forward(tokens(512));
  const held = sessionStats().bytes - base.bytes;
  // 512 tokens × (a1, a3, tmp: 3 × 4096 floats) ≈ 24 MB of activations, plus the cache.
  assert.ok(held >= 24 * MB, `session holds ${held} bytes`);
  s.close();
  assert.deepEqual([sessionStats().open, sessionStats().bytes], [base.open, base.bytes]);
  s.close();
  assert.equal(sessionStats().open, base.open);
  assert.equal(s.length, 0);
  assert.throws(() => s.forward(tokens(1)), (e: Error & { code?: string }) => e.code === 'E_OPTION' && /closed/.test(e.message));
});

test('generate() leaves no session open: open sessions and their bytes stay at the baseline over 40 calls', () => {
  const model = wideModel();
  const base = sessionStats();
  const prompt = 'p'.repeat(500);
  for (let i = 0; i < 40; i++) {
    const c = generate(model, WIDE.max_position_embeddings, { messages: [{ role: 'user', content: `${i} ${prompt}` }], max_tokens: 8 }, { attention: i % 2 ? 'dense' : 'sparse' });
    assert.equal(c.error, null);
    const now = sessionStats();
    assert.deepEqual([now.open, now.bytes], [base.open, base.bytes], `after call ${i + 1}`);
  }
  // A generation that ends early closes its session too (here an abort mid-reply).
  let n = 0;
  assert.equal(generate(model, WIDE.max_position_embeddings, { messages: [{ role: 'user', content: prompt }] }, { attention: 'dense' }, { cancelled: () => ++n > 2 }).error, 'aborted');
  assert.deepEqual([sessionStats().open, sessionStats().bytes], [base.open, base.bytes]);
});

test('sessions dropped without close() are collected: V8 counts their memory, so the GC runs', async () => {
  // In a fresh process: here, closed sessions of the tests above (and their collection)
  // would move the counts, and whatever else this process allocated could trigger a
  // collection that hides a missing one.
  const url = (p: string): string => new URL(p, import.meta.url).href;
  const script = `
    import { createNativeModel, modelLayout, numParams, sessionStats } from ${JSON.stringify(url('../../src/model/native.js'))};
    const WIDE = ${JSON.stringify(WIDE)};
    const model = createNativeModel(WIDE, new Float32Array(numParams(modelLayout(WIDE))));
    model.initParams(1);
    const tokens = Int32Array.from({ length: 512 }, (_, i) => i % 256);
    const rss0 = process.memoryUsage().rss;
    let peakLive = 0;
    for (let i = 0; i < ${N}; i++) {
      model.session({ maxLength: 512, attention: 'dense' }).forward(tokens); // ≈ 25 MB, never closed
      // Finalizers of collected objects run from the event loop, as they would between requests.
      await new Promise((r) => setImmediate(r));
      peakLive = Math.max(peakLive, sessionStats().live);
    }
    console.log(JSON.stringify({ peakLive, grown: process.memoryUsage().rss - rss0 }));
  `;
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`child exited ${code}: ${text}`))));
  });
  const { peakLive, grown } = JSON.parse(out.trim().split('\n').pop()!) as { peakLive: number; grown: number };
  // Uncounted, all 30 sessions (≈ 750 MB) stay alive: the JS heap barely grows, so nothing
  // asks for a collection (measured: 30 alive, +730 MB). Counted, V8 collects every few
  // sessions (external memory over its limit, ~64 MB past the last collection; measured: 5
  // alive at most, +150 MB). Half of them is a generous bound.
  assert.ok(peakLive <= N / 2, `${peakLive} of ${N} dropped sessions alive at once`);
  assert.ok(grown < 400 * MB, `RSS grew by ${(grown / MB).toFixed(0)} MB over ${N} dropped sessions of ≈ 25 MB`);
});
