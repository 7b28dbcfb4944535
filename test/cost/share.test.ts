/**
 * The indexer's share of DSA time and the labels of money figures: computed from injected
 * timings (no test here measures the machine), shown unclamped, estimates marked as such,
 * and every published-comparison row the command prints present in BENCHMARKS.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { layerCost } from '../../src/cost/analytic.js';
import { buildCurves } from '../../src/cost/curves.js';
import { formatMarkdown } from '../../src/cost/format.js';
import { loadHardware } from '../../src/cost/hardware.js';
import { loadProfile } from '../../src/cost/profiles.js';
import { comparePublished } from '../../src/cost/published.js';
import { runStudy } from '../../src/cost/study.js';
import { selectionShare, type AttentionTimer, type MeasureRequest, type Measurement } from '../../src/cost/timer.js';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package.js';

const repoPath = (rel: string): string => join(packageRoot(), rel);

const v32 = loadProfile('deepseek-v3.2');

/** A stand-in whose sparse measurements carry the given share (1 ms per GFLOP otherwise). */
function timerWithShare(share: number | undefined): AttentionTimer {
  return {
    name: 'stand-in',
    async measure(r: MeasureRequest): Promise<Measurement> {
      const ms = layerCost(r.profile, { mode: r.mode, attention: r.attention, position: r.position, chunk: r.chunk }).flops / 1e9;
      const m: Measurement = { ms_median: ms, ms_all: [ms] };
      if (r.attention === 'sparse' && share !== undefined) {
        m.indexer_share = share;
        m.selection_ms_median = share * ms;
      }
      return m;
    },
  };
}

test('selection share is the median of per-call ratios, from the phases of the same calls', () => {
  // Three calls: 2/10, 3/10, 8/20 → ratios 0.2, 0.3, 0.4 → median 0.3.
  assert.equal(selectionShare([{ wall_ms: 10, select_ms: 2 }, { wall_ms: 20, select_ms: 8 }, { wall_ms: 10, select_ms: 3 }]), 0.3);
  // Even count: mean of the middle two.
  assert.equal(selectionShare([{ wall_ms: 4, select_ms: 1 }, { wall_ms: 4, select_ms: 3 }]), 0.5);
  // Skipped indexer (≤ k keys): the op reports a zero selection phase.
  assert.equal(selectionShare([{ wall_ms: 5, select_ms: 0 }, { wall_ms: 6, select_ms: 0 }]), 0);
  // Not a ratio of separately taken medians: a slow call slows both of its own terms.
  assert.equal(selectionShare([{ wall_ms: 1, select_ms: 0.5 }, { wall_ms: 100, select_ms: 50 }, { wall_ms: 2, select_ms: 1 }]), 0.5);
  assert.equal(selectionShare([]), undefined);
  assert.equal(selectionShare([{ wall_ms: 0, select_ms: 1 }]), undefined);
});

test('the share is never clamped: broken timings show as more than 100%', () => {
  assert.equal(selectionShare([{ wall_ms: 10, select_ms: 12 }]), 1.2);
});

test('curves carry the timer\'s share as measured, unclamped; unmeasured stays unmeasured', async () => {
  const common = { profile: v32, modes: ['decode' as const, 'prefill' as const], positions: [1024, 4096], chunk: 16, repeats: 1, threads: 1 };
  const pts = await buildCurves({ ...common, timer: timerWithShare(0.37) });
  const sparse4k = pts.filter((p) => p.attention === 'sparse' && p.position === 4096);
  assert.equal(sparse4k.length, 2);
  for (const p of sparse4k) {
    assert.equal(p.indexer_share, 0.37);
    assert.ok(Math.abs(p.indexer_ms_median! - 0.37 * p.ms_median!) < 1e-12);
    // The FLOP share is its own field and does not stand in for the time share.
    assert.ok(p.indexer_share_flops! > 0 && p.indexer_share_flops !== p.indexer_share);
  }

  const over = await buildCurves({ ...common, timer: timerWithShare(1.25) });
  assert.ok(over.filter((p) => p.attention === 'sparse').every((p) => p.indexer_share === 1.25));

  const none = await buildCurves({ ...common, timer: timerWithShare(undefined) });
  for (const p of none.filter((x) => x.attention === 'sparse')) {
    assert.equal(p.indexer_share, undefined);
    assert.ok(p.indexer_share_flops! >= 0);
  }
  const analytic = await buildCurves(common);
  assert.ok(analytic.filter((p) => p.attention === 'sparse').every((p) => p.indexer_share === undefined));
});

test('tables show the measured share as measured (125% stays 125%) and the FLOP share apart', async () => {
  const r = await runStudy({
    profile: v32, modes: ['prefill'], positions: [4096], chunk: 16, repeats: 1, threads: 1, timer: timerWithShare(1.25),
  });
  const md = formatMarkdown(r);
  const row = md.split('\n').find((l) => l.startsWith('| 4K |'))!;
  assert.match(md, /\| indexer share of DSA time \| indexer share of DSA FLOPs \|/);
  assert.match(row, /\| 125% \| 11% \|/);
  assert.doesNotMatch(row, /\| 100% \|/);
});

test('$/Mtok built on the model-time estimate is labelled as an estimate, projections as projections', async () => {
  const r = await runStudy({
    profile: v32, modes: ['decode', 'prefill'], positions: [4096, 16384], chunk: 16, repeats: 1, threads: 1,
    timer: timerWithShare(0.3), pricePerHour: 0.1, hardware: loadHardware('h800'),
    runs: [repoPath('test/cost/fixtures/run-sample')],
  });
  const md = formatMarkdown(r);
  const headers = md.split('\n').filter((l) => l.startsWith('| position |') || l.startsWith('| level |'));
  assert.equal(headers.length, 2 + (r.workload?.length ?? 0));
  for (const h of headers) {
    const cells = h.split('|').map((c) => c.trim()).filter(Boolean);
    const money = cells.filter((c) => c.includes('$'));
    assert.ok(money.length === 4, h);
    // Every money column says what it is: an estimate on measured attention or a projection.
    for (const c of money) assert.match(c, /\((est|proj)\.\)$/, `unlabelled money column "${c}" in ${h}`);
  }
  assert.match(md, /"\$\/Mtok \(est\.\)" is an estimate built on a measurement/);
  assert.match(md, /"\(proj\.\)" is a roofline projection/);
  // Workload ratios computed from those estimates say so too.
  for (const l of md.split('\n').filter((x) => x.startsWith('| run |') || x.startsWith('| suite |'))) {
    assert.doesNotMatch(l, /\| measured \|$/);
  }
});

test('BENCHMARKS.md shows every published-comparison row the cost command prints', () => {
  const doc = readFileSync(repoPath('BENCHMARKS.md'), 'utf8');
  const start = doc.indexOf('## Cost study');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 5));
  const cmp = comparePublished(v32, loadHardware('h800'));
  assert.equal(cmp.rows.length, 8);
  const fmt = (x: number | undefined) => (x === undefined ? '–' : Number(x.toPrecision(3)).toLocaleString('en-US'));
  for (const row of cmp.rows) {
    const line = section.split('\n').find((l) => l.startsWith(`| ${row.metric} |`));
    assert.ok(line, `BENCHMARKS.md's cost section leaves out the row "${row.metric}"`);
    // Same figures as the command prints (the projection is analytic, so they are fixed).
    const cells = line.split('|').map((c) => c.trim()).filter(Boolean);
    assert.deepEqual(cells.slice(1, 6), [fmt(row.published), fmt(row.projected), fmt(row.projected_achieved), fmt(row.ratio), row.within_50pct ? 'yes' : 'no'], row.metric);
  }
});
