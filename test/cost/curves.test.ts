import { test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { layerCost } from '../../src/cost/analytic.js';
import { buildCurves, checkPositions, measuredBreakEven, type CostPoint } from '../../src/cost/curves.js';
import { loadHardware } from '../../src/cost/hardware.js';
import { loadProfile } from '../../src/cost/profiles.js';
import { COST_SCHEMA } from '../../src/cost/schema.js';
import { runStudy } from '../../src/cost/study.js';
import type { AttentionTimer, MeasureRequest } from '../../src/cost/timer.js';
import { DsabenchError } from '../../src/errors.js';

const v32 = loadProfile('deepseek-v3.2');

/** A deterministic stand-in: 1 ms per GFLOP (no timing asserted anywhere). */
const flopTimer: AttentionTimer = {
  name: 'flop-proportional stand-in',
  async measure(r: MeasureRequest) {
    const c = layerCost(r.profile, { mode: r.mode, attention: r.attention, position: r.position, chunk: r.chunk });
    const ms = c.flops / 1e9;
    return { ms_median: ms, ms_all: [ms], indexer_share: r.attention === 'sparse' ? c.indexer_flops / c.flops : undefined };
  },
};

test('curves carry analytic and measured fields per (mode, position, attention)', async () => {
  const pts = await buildCurves({
    profile: v32, modes: ['decode', 'prefill'], positions: [1024, 8192], chunk: 8, repeats: 1, threads: 1,
    timer: flopTimer, pricePerHour: 3.6, hardware: loadHardware('h800'),
  });
  assert.equal(pts.length, 8);
  assert.deepEqual(pts.map((p) => `${p.mode}/${p.position}/${p.attention}`), [
    'decode/1024/dense', 'decode/1024/sparse', 'decode/8192/dense', 'decode/8192/sparse',
    'prefill/1024/dense', 'prefill/1024/sparse', 'prefill/8192/dense', 'prefill/8192/sparse',
  ]);
  const d = pts[2]!;
  assert.equal(d.flops, 278_528 * 8192);
  assert.equal(d.length, d.position);
  assert.equal(d.ms_median, d.flops / 1e9);
  // model_ms = layers × ms + non-attention at the dense rate (1 GFLOP/ms) = 61·ms + 74.
  assert.ok(Math.abs(d.model_ms! - (61 * d.ms_median! + 74)) < 1e-9);
  assert.ok(Math.abs(d.usd_per_mtok! - d.model_ms!) < 1e-9); // $3.6/h: 1 ms/token = $1/Mtok
  assert.ok(d.projected_usd_per_mtok! > 0);
  const s = pts[3]!;
  assert.ok(Math.abs(s.indexer_share! - s.indexer_share_flops!) < 1e-12);
  assert.equal(pts[1]!.indexer_share, 0);
  assert.equal(pts[6]!.chunk, 8);
});

test('measured break-even interpolates to the analytic one for a FLOP-proportional timer', async () => {
  const pts: CostPoint[] = await buildCurves({
    profile: v32, modes: ['decode'], positions: [1024, 2048, 2176, 2178, 4096], chunk: 1, repeats: 1, threads: 1, timer: flopTimer,
  });
  const be = measuredBreakEven(pts, 'decode', 2048)!;
  assert.ok(be >= 2176 && be <= 2178, String(be));
  // Never cheaper among the positions → null.
  const few = await buildCurves({ profile: v32, modes: ['decode'], positions: [1024, 2100], chunk: 1, repeats: 1, threads: 1, timer: flopTimer });
  assert.equal(measuredBreakEven(few, 'decode', 2048), null);
});

test('positions out of range are clear errors', () => {
  for (const bad of [[0], [131073], [1.5], []]) {
    assert.throws(() => checkPositions(bad, v32), (e: unknown) => e instanceof DsabenchError && e.code === 'E_OPTION' && e.field === 'positions');
  }
  checkPositions([1, 131072], v32);
});

test('a study report validates against the published schema', async () => {
  const r = await runStudy({
    profile: v32, modes: ['decode', 'prefill'], positions: [1024, 4096, 16384], chunk: 4, repeats: 1, threads: 1,
    timer: flopTimer, pricePerHour: 1, hardware: loadHardware('h800'),
  });
  const ajv = new Ajv.default({ strict: false });
  const ok = ajv.validate(COST_SCHEMA, JSON.parse(JSON.stringify(r)));
  assert.ok(ok, ajv.errorsText());
  assert.equal(r.measured, true);
  assert.equal(r.analytic_break_even.decode, 2177);
  assert.ok(r.published && r.published.rows.length === 8);
  assert.equal(r.summary.find((s) => s.mode === 'decode')!.position, 16384);
});
