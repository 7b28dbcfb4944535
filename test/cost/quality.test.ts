import { test } from 'node:test';
import assert from 'node:assert/strict';
import { denseProbs, measureQuality, tsQualityOps } from '../../src/cost/quality.js';
import { makeSynthetic, SYNTHETIC_MIX } from '../../src/cost/synthetic.js';

const shape = { L: 2048, T: 4, H: 4, dc: 32, dp: 16, dv: 32, hi: 4, di: 48 };

test('synthetic inputs are structured: sinks and needles carry mass, attention is far from flat', () => {
  const x = makeSynthetic(shape, 7);
  assert.equal(x.kv.length, 2048 * 48);
  assert.equal(x.q.length, 4 * 4 * 48);
  const p = denseProbs(x);
  let sinkMass = 0;
  let needleMass = 0;
  let needles = 0;
  for (let t = 0; t < 4; t++) {
    for (let h = 0; h < 4; h++) {
      const o = (t * 4 + h) * 2048;
      let row = 0;
      for (let s = 0; s < 2048; s++) row += p[o + s]!;
      assert.ok(Math.abs(row - 1) < 1e-9);
      for (let s = 0; s < SYNTHETIC_MIX.sinks; s++) sinkMass += p[o + s]!;
      const n = x.needles[t * 4 + h]!;
      if (n >= 0) {
        needles++;
        needleMass += p[o + n]!;
      }
    }
  }
  // Flat attention would give the 4 sinks 4/2048 of the mass.
  assert.ok(sinkMass / 16 > 0.05, `sink mass ${sinkMass / 16}`);
  assert.ok(needles > 0 && needleMass / needles > 0.2, `needle mass ${needleMass / needles}`);
  // Deterministic by seed.
  assert.deepEqual(makeSynthetic(shape, 7).q, x.q);
});

test('fidelity improves with k, reaches dense when k ≥ L, and never beats the oracle', async () => {
  const x = makeSynthetic(shape, 3);
  const rows = await measureQuality(x, tsQualityOps(), [2048, 16, 64, 256]);
  assert.deepEqual(rows.map((r) => r.k), [16, 64, 256, 2048]);
  for (let i = 1; i < rows.length; i++) {
    assert.ok(rows[i]!.mass_recall >= rows[i - 1]!.mass_recall - 1e-12);
    assert.ok(rows[i]!.oracle_mass_recall >= rows[i - 1]!.oracle_mass_recall - 1e-12);
  }
  for (const r of rows) assert.ok(r.mass_recall <= r.oracle_mass_recall + 1e-9);
  const full = rows.at(-1)!;
  assert.ok(Math.abs(full.mass_recall - 1) < 1e-9);
  assert.ok(full.rel_error < 1e-5);
  assert.ok(rows[0]!.rel_error > full.rel_error);
});
