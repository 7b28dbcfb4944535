import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadHardware } from '../../src/cost/hardware.js';
import { loadProfile } from '../../src/cost/profiles.js';
import { comparePublished, PUBLISHED } from '../../src/cost/published.js';
import { project, projectedBreakEven, usdPerMtok } from '../../src/cost/roofline.js';

const v32 = loadProfile('deepseek-v3.2');
const h800 = loadHardware('h800');

test('usd per million tokens: 1 ms/token at $3.6/h is $1/Mtok', () => {
  assert.ok(Math.abs(usdPerMtok(1e-3, 3.6) - 1) < 1e-12);
});

test('roofline: dense decode at 128K is compute-bound, DSA memory-bound (H800)', () => {
  const d = project(v32, h800, 'decode', 'dense', 131072);
  const s = project(v32, h800, 'decode', 'sparse', 131072);
  assert.equal(d.bound, 'compute');
  assert.equal(s.bound, 'memory');
  // dense: 61 × 278,528 × 131072 / 989.5e12 s + 74e9 / 1979e12 s
  const expected = (61 * 278_528 * 131072) / 989.5e12 + 74e9 / 1979e12;
  assert.ok(Math.abs(d.seconds_per_token - expected) / expected < 1e-12);
  // DSA: 61 × (132·L + 656·2048) / 3.35e12 + non-attention
  const es = (61 * (132 * 131072 + 656 * 2048)) / 3.35e12 + 74e9 / 1979e12;
  assert.ok(Math.abs(s.seconds_per_token - es) / es < 1e-12);
});

test('projected costs are monotone in position and sparse is cheaper at 128K', () => {
  for (const mode of ['decode', 'prefill'] as const) {
    for (const a of ['dense', 'sparse'] as const) {
      let prev = 0;
      for (const L of [1, 1024, 2048, 4096, 16384, 65536, 131072]) {
        const t = project(v32, h800, mode, a, L).seconds_per_token;
        assert.ok(t >= prev);
        prev = t;
      }
    }
    assert.ok(project(v32, h800, mode, 'sparse', 131072).seconds_per_token < project(v32, h800, mode, 'dense', 131072).seconds_per_token);
  }
});

test('projected 128K ratios land within ±50% of the published ones; break-evens reported', () => {
  const c = comparePublished(v32, h800);
  const row = (m: string) => c.rows.find((r) => r.metric === m)!;
  for (const m of ['prefill dense/sparse ratio @128K', 'decode dense/sparse ratio @128K']) {
    assert.ok(row(m).within_50pct, `${m}: ${row(m).projected} vs ${row(m).published}`);
    assert.ok(row(m).projected_achieved !== undefined);
  }
  assert.equal(row('decode dense/sparse ratio @128K').published, PUBLISHED.decode.dense / PUBLISHED.decode.sparse);
  const be = projectedBreakEven(v32, h800, 'prefill');
  assert.ok(be !== null && be > 2048 && be < 131072);
  assert.ok(c.notes.length >= 4);
  assert.match(c.label, /model, not a measurement/);
  assert.ok(c.notes.some((n) => /FLOP\/B/.test(n)));
});
