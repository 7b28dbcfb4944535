import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateReport, type ReportResult } from '../../src/reports/index.js';
import { buildReportModel, describeEngine, describeMachine } from '../../src/reports/model.js';
import { renderMarkdown } from '../../src/reports/reporters/markdown.js';
import { loadRuns } from '../../src/results/load.js';
import { CSV_COLUMNS } from '../../src/reports/reporters/csv.js';
import { parseFormats } from '../../src/reports/reporters/index.js';
import { DsabenchError } from '../../src/errors.js';
import { threeRuns, writeCostStudy, writeRun } from './factories.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(buf: Buffer): { width: number; height: number } {
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** Minimal RFC 4180 parser for the test (quoted fields, doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (q) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') q = false; else field += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(field); field = ''; } else if (ch === '\n') { row.push(field); rows.push(row); row = []; field = ''; } else field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

const EXPECTED_CHARTS = [
  'accuracy-vs-length.png', 'cost-flops.png', 'cost-time.png', 'cost-usd.png', 'latency-e2e-cdf.png', 'latency-percentiles.png',
  'latency-tpot-cdf.png', 'latency-ttft-cdf.png', 'needle-heatmap-1.png', 'needle-heatmap-2.png', 'quality-vs-topk.png', 'scores.png',
];

describe('report on three runs', () => {
  let res: ReportResult;
  const out = join(root, 'out');
  before(async () => {
    const runs = threeRuns(join(root, 'runs'));
    const cost = writeCostStudy(join(root, 'cost'));
    res = await generateReport({ runs, outDir: out, cost: [cost], now: () => new Date('2026-11-28T12:00:00Z') });
  });

  it('writes HTML, Markdown, CSV, JSON and every chart', () => {
    assert.deepEqual(readdirSync(out).sort(), ['charts', 'leaderboard.csv', 'report.html', 'report.json', 'report.md']);
    assert.deepEqual(readdirSync(join(out, 'charts')).sort(), EXPECTED_CHARTS);
    for (const f of EXPECTED_CHARTS) {
      const png = readFileSync(join(out, 'charts', f));
      assert.deepEqual(pngSize(png), { width: 1200, height: 700 }, f);
      assert.ok(png.length > 15_000, `${f} looks empty (${png.length} bytes)`);
    }
  });

  it('builds the leaderboard: rows best first, per-suite cells with CIs and pass@k', () => {
    const m = res.model;
    assert.deepEqual(m.suites, ['math', 'code', 'ruler-niah']);
    assert.deepEqual(m.rows.map((r) => r.label), ['openai:deepseek-v3.2', 'openai:deepseek-v3.1', 'native:dsa-small']);
    const top = m.rows[0]!;
    assert.ok(Math.abs(top.cells.math!.mean - 0.8) < 1e-12);
    assert.ok(top.cells.math!.ci95[0] < 0.8 && top.cells.math!.ci95[1] > 0.8);
    assert.deepEqual(Object.keys(top.cells.code!.pass_at_k!), ['1', '2', '3']);
    assert.equal(m.rows[2]!.cells['ruler-niah'], undefined);
    assert.ok(top.overall.throughput_tok_s! > 0);
    assert.ok(Math.abs(top.overall.cost_total! - (80 * 0.001 + 180 * 0.002)) < 1e-9);
    assert.deepEqual(m.metrics.filter((x) => x.row === top.key).map((x) => x.metric), ['strict', 'flexible']);
  });

  it('Markdown: leaderboard table, latency table, published rows marked, charts linked', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /^# dsabench leaderboard/);
    assert.match(md, /\| Provider \| math \| code \| ruler-niah \|\n\| --- \| --- \| --- \| --- \|\n\| \*\*openai:deepseek-v3\.2\*\* \| 80\.0 \[\d+\.\d, \d+\.\d\] \(n=80\)/);
    assert.match(md, /TTFT p50\/p90\/p99 \(ms\)/);
    assert.match(md, /## Reference scores \(published, not measured\)/);
    assert.match(md, /\| _DeepSeek-V3\.2 \(thinking\)_ \(published\) \| 93\.1 \| 92\.5 \| 83\.3 \| 2386 \| 46\.4 \| 73\.1 \|/);
    for (const f of EXPECTED_CHARTS) assert.ok(md.includes(`](charts/${f})`), f);
    assert.match(md, /## Items where providers disagree/);
  });

  it('CSV: one line per provider × suite plus published rows, stable columns', () => {
    const rows = parseCsv(readFileSync(join(out, 'leaderboard.csv'), 'utf8'));
    assert.deepEqual(rows[0], [...CSV_COLUMNS]);
    const body = rows.slice(1).map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]])));
    assert.equal(body.filter((r) => r.kind === 'measured').length, 3 + 3 + 2);
    assert.equal(body.filter((r) => r.kind === 'published').length, 12);
    const a = body.find((r) => r.provider === 'openai:deepseek-v3.2' && r.suite === 'math')!;
    assert.equal(Number(a.mean), 0.8);
    assert.equal(a.run_id, 'run-a');
    assert.ok(Number(a.e2e_p50_ms) > 0);
    const p = body.find((r) => r.kind === 'published' && r.suite === 'Codeforces' && r.provider === 'GPT-5 High')!;
    assert.equal(p.published_value, '2537');
    assert.equal(p.published_unit, 'rating');
    assert.equal(p.note, 'published, not measured');
    assert.equal(p.mean, '');
  });

  it('HTML: self-contained, embedded charts, sortable tables, escaped outputs, drill-down anchors', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.equal((html.match(/<img [^>]*src="data:image\/png;base64,/g) ?? []).length, EXPECTED_CHARTS.length);
    assert.doesNotMatch(html, /(src|href)="https?:/);
    assert.doesNotMatch(html, /<link /);
    for (const id of ['leaderboard-table', 'performance-table', 'published-table', 'metrics-table', 'runs-table', 'drill-0']) assert.ok(html.includes(`id="${id}"`), id);
    assert.match(html, /class="sortable/);
    // A model output containing markup is shown as text.
    assert.ok(html.includes('&lt;b&gt;&amp;amp;&lt;/b&gt;'));
    assert.ok(!html.includes('<b>&amp;</b>'));
    // Every drill-down link has its target.
    const links = [...html.matchAll(/href="#(t-[\d-]+)"/g)].map((m) => m[1]!);
    const ids = new Set([...html.matchAll(/<details class="transcript" id="(t-[\d-]+)"/g)].map((m) => m[1]!));
    assert.equal(links.length, (80 + 60) * 3 + 120 * 2);
    assert.ok(links.every((l) => ids.has(l)));
    assert.match(html, /published, not measured/);
  });

  it('drill-down: each item has each provider verdict and flags disagreement', () => {
    const math = res.model.drilldown.find((d) => d.suite === 'math')!;
    assert.equal(math.items.length, 80);
    const first = math.items[0]!; // item 0 passes everywhere (first rate·n items pass)
    assert.equal(first.item_id, 'math-0000');
    assert.equal(Object.keys(first.verdicts).length, 3);
    assert.equal(first.disagree, false);
    const mid = math.items.find((i) => i.item_id === 'math-0050')!; // passes for v3.2 (80%), v3.1 (70%), fails for small (30%)
    assert.equal(mid.disagree, true);
    assert.equal(mid.verdicts['run-c/native:dsa-small']!.passed, 0);
  });

  it('long-context series carry per-length means and a depth × length grid', () => {
    const lc = res.model.longContext;
    assert.equal(lc.length, 2);
    assert.deepEqual(lc[0]!.byLength.map((b) => b.length), [4096, 8192, 16384, 32768, 65536, 131072]);
    assert.equal(lc[0]!.grid.length, 6 * 5);
    assert.equal(lc[0]!.byLength.reduce((a, b) => a + b.n, 0), 120);
  });
});

describe('report model details', () => {
  it('the Runs section says on which machine and with which engine kernels each run ran', () => {
    const m = buildReportModel(loadRuns([threeRuns(join(root, 'runs-machine'))[0]!]));
    assert.equal(m.runs[0]!.machine, '2 CPUs');
    assert.equal(m.runs[0]!.engine, null);
    assert.equal(describeMachine({ cpus: 2, cpu_model: 'AMD EPYC', memory_bytes: 24 * 2 ** 30 }), 'AMD EPYC, 2 CPUs, 24.0 GiB');
    assert.equal(describeEngine({ version: '0.1.0', simd: 'avx2', kernelSets: ['avx512-bf16', 'avx512', 'avx2', 'scalar'] }), '0.1.0, avx2 kernels (of avx512-bf16, avx512, avx2, scalar)');
    assert.equal(describeEngine({ version: '0.1.0' }), null);
    const md = renderMarkdown({ ...m, runs: m.runs.map((r) => ({ ...r, engine: '0.1.0, avx2 kernels' })) });
    assert.match(md, /## Runs\n\n\| Run \| Status \| Created \| Git SHA \| Machine \| Native engine \|\n[^\n]+\n\| `[^`]+` \| complete \| [^|]+ \| `abc1234` \| 2 CPUs \| 0\.1\.0, avx2 kernels \|/);
  });

  it('labels a provider seen in several runs with its run id', () => {
    const dirs = [
      writeRun(join(root, 'dup'), { run_id: 'dense', provider: 'native:dsa', suites: [{ name: 'math', items: 10, passRate: 0.5 }] }),
      writeRun(join(root, 'dup'), { run_id: 'sparse', provider: 'native:dsa', suites: [{ name: 'math', items: 10, passRate: 0.4 }] }),
    ];
    const m = buildReportModel(loadRuns(dirs));
    assert.deepEqual(m.rows.map((r) => r.label), ['native:dsa @ dense', 'native:dsa @ sparse']);
    assert.deepEqual(m.rows.map((r) => r.key), ['dense/native:dsa', 'sparse/native:dsa']);
  });

  it('works from summaries only (no samples): leaderboard yes, drill-down empty', async () => {
    const dir = writeRun(join(root, 'sumonly'), { run_id: 's1', provider: 'p', suites: [{ name: 'math', items: 10, passRate: 0.5 }] });
    const res = await generateReport({ runs: [join(dir, 'summary.json')], outDir: join(root, 'sumonly-out'), formats: ['md', 'csv'], published: false });
    assert.equal(res.model.rows.length, 1);
    assert.equal(res.model.published, null);
    assert.equal(res.model.drilldown[0]!.items.length, 0);
    assert.deepEqual(res.charts.map((c) => c.file), ['scores.png', 'latency-percentiles.png']);
    assert.doesNotMatch(readFileSync(join(root, 'sumonly-out', 'report.md'), 'utf8'), /published/);
  });

  it('parses --format lists and rejects unknown formats', () => {
    assert.deepEqual(parseFormats('html, md,html'), ['html', 'md']);
    assert.throws(() => parseFormats('pdf'), (e: unknown) => e instanceof DsabenchError && e.code === 'E_USAGE');
  });
});

describe('long-context and metadata breakdowns', () => {
  it('reads depth as depth_percent, or a fraction converted to percent', async () => {
    const { lengthDepthOf } = await import('../../src/reports/model.js');
    const rec = (metadata: Record<string, unknown>) => ({ metadata } as unknown as Parameters<typeof lengthDepthOf>[0]);
    assert.deepEqual(lengthDepthOf(rec({ length: 8192, depth: 0.25, depth_percent: 25 })), { length: 8192, depth: 25 });
    assert.deepEqual(lengthDepthOf(rec({ length: '4096', depth: 0.5 })), { length: 4096, depth: 50 });
    assert.deepEqual(lengthDepthOf(rec({ context_length: 1024, depth: 75 })), { length: 1024, depth: 75 });
    assert.deepEqual(lengthDepthOf(rec({ task: 'vt' })), { length: null, depth: null });
  });

  it('charts long context from the runner summary breakdowns when there are no samples', async () => {
    const dir = writeRun(join(root, 'lcsum'), { run_id: 'lc', provider: 'p', suites: [{ name: 'ruler', items: 4, passRate: 0.5 }] });
    const summaryFile = join(dir, 'summary.json');
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    s.suites[0].breakdowns = {
      by_metadata: {
        task: { niah_single_1: { n: 2, mean: 1 }, vt: { n: 2, mean: 0 } },
        length: { '4096': { n: 2, mean: 1 }, '8192': { n: 2, mean: 0.5 } },
        depth: { '0.25': { n: 2, mean: 1 }, '0.75': { n: 2, mean: 0.5 } },
        'length×depth': { rows: 'length', cols: 'depth', cells: { '4096': { '0.25': { n: 1, mean: 1 }, '0.75': { n: 1, mean: 1 } }, '8192': { '0.25': { n: 1, mean: 1 }, '0.75': { n: 1, mean: 0 } } } },
      },
      metrics: { strict: { n: 4, mean: 0.5 } },
    };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(summaryFile, JSON.stringify(s));
    const res = await generateReport({ runs: [summaryFile], outDir: join(root, 'lcsum-out'), formats: ['html'], published: false });
    const lc = res.model.longContext;
    assert.equal(lc.length, 1);
    assert.deepEqual(lc[0]!.byLength, [{ length: 4096, mean: 1, n: 2 }, { length: 8192, mean: 0.5, n: 2 }]);
    assert.deepEqual(lc[0]!.grid.map((g) => [g.length, g.depth, g.mean]), [[4096, 25, 1], [4096, 75, 1], [8192, 25, 1], [8192, 75, 0]]);
    assert.ok(res.charts.some((c) => c.file === 'needle-heatmap-1.png'));
    assert.ok(res.charts.some((c) => c.file === 'accuracy-vs-length.png'));
    assert.deepEqual(res.model.breakdowns.filter((b) => b.key === 'task').map((b) => [b.value, b.mean]), [['niah_single_1', 1], ['vt', 0]]);
    assert.deepEqual(res.model.metrics, [{ row: 'lc/p', suite: 'ruler', metric: 'strict', mean: 0.5, n: 4 }]);
    assert.match(readFileSync(join(root, 'lcsum-out', 'report.html'), 'utf8'), /id="breakdowns-table"/);
  });

  it('computes breakdowns from samples when the summary has none', () => {
    const dirs = threeRuns(join(root, 'bd'));
    const m = buildReportModel(loadRuns(dirs));
    const lengths = m.breakdowns.filter((b) => b.row === 'run-a/openai:deepseek-v3.2' && b.suite === 'ruler-niah' && b.key === 'length');
    assert.deepEqual(lengths.map((b) => b.value), ['4096', '8192', '16384', '32768', '65536', '131072']);
    assert.equal(lengths.reduce((a, b) => a + b.n, 0), 120);
  });
});
