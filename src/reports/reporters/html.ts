/**
 * report.html: one self-contained page. Charts are embedded as data: URIs, tables sort on a
 * header click (small inline script), nothing is fetched from the network. The drill-down
 * lists every item of every suite with each row's verdict, linked to the attempt's output
 * and transcript further down the page (`<details id="t-…">`, opened when its link is
 * followed).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttemptRecord } from '../../types.js';
import { PUBLISHED_LABEL } from '../published.js';
import type { ChartImage, LeaderboardRow, LoadedRun, ReportModel } from '../types.js';
import { ciText, countedApartNotes, DASH, escHtml as e, int, ms, passAtKText, pct, pcts, rate, truncate, usd } from '../format.js';
import type { Reporter, ReporterContext } from './types.js';

const MAX_MESSAGES = 40;

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
header,main{max-width:1280px;margin:0 auto;padding:0 24px}
header{padding-top:18px}
h1{margin:.2em 0}h2{margin-top:1.8em;border-bottom:2px solid #ddd;padding-bottom:.2em}
nav a{margin-right:1em}
table{border-collapse:collapse;margin:.6em 0 1.2em;background:#fff;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f3;position:sticky;top:0}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[data-dir=asc]::after{content:" ▲"}table.sortable th[data-dir=desc]::after{content:" ▼"}
td.num{text-align:right}
.ci{color:#666;font-size:.9em}
.published{background:#fff8e1}
.badge{display:inline-block;padding:0 6px;border-radius:8px;background:#ffe082;font-size:.85em}
.pass{background:#e6f4ea}.fail{background:#fce8e6}.partial{background:#fff4d6}.missing{color:#999}
.drill td a{color:inherit;text-decoration:none;display:block}
table.only-disagree tbody tr:not(.disagree){display:none}
figure{margin:1em 0;background:#fff;border:1px solid #ddd;padding:8px;max-width:1200px}
figure img{max-width:100%;height:auto;display:block}
details.transcript{background:#fff;border:1px solid #ddd;margin:4px 0;padding:4px 8px}
details.transcript:target{outline:3px solid #4e79a7}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:6px;margin:4px 0;max-height:30em;overflow:auto}
.meta{color:#555;font-size:.9em}.err{color:#b3261e}
.notes{color:#8a6d00}
`;

const SCRIPT = `
(function(){
  function key(tr,i){var td=tr.children[i];if(!td)return '';var v=td.getAttribute('data-v');if(v===null)v=td.textContent.trim();var n=parseFloat(v);return isNaN(n)?v.toLowerCase():n;}
  document.querySelectorAll('table.sortable').forEach(function(t){
    var head=t.tHead&&t.tHead.rows[0];if(!head)return;
    Array.prototype.forEach.call(head.cells,function(th,i){th.addEventListener('click',function(){
      var asc=th.getAttribute('data-dir')!=='asc';
      Array.prototype.forEach.call(head.cells,function(h){h.removeAttribute('data-dir');});
      th.setAttribute('data-dir',asc?'asc':'desc');
      var body=t.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=key(a,i),y=key(b,i);var c=(typeof x==='number'&&typeof y==='number')?(x-y||0):String(x).localeCompare(String(y),undefined,{numeric:true});return asc?c:-c;});
      rows.forEach(function(r){body.appendChild(r);});
    });});
  });
  document.querySelectorAll('input.disagree-toggle').forEach(function(cb){cb.addEventListener('change',function(){var t=document.getElementById(cb.getAttribute('data-table'));if(t)t.classList.toggle('only-disagree',cb.checked);});});
  function openTarget(){var id=location.hash.slice(1);if(!id)return;var el=document.getElementById(id);if(el&&el.tagName==='DETAILS'){el.open=true;el.scrollIntoView();}}
  window.addEventListener('hashchange',openTarget);openTarget();
  // Self-check, readable from a DOM dump: how many embedded charts decoded, and table count.
  window.addEventListener('load',function(){
    var imgs=document.images,ok=0;for(var i=0;i<imgs.length;i++){if(imgs[i].complete&&imgs[i].naturalWidth>0)ok++;}
    var root=document.documentElement;root.setAttribute('data-images-decoded',ok+'/'+imgs.length);
    root.setAttribute('data-tables',String(document.querySelectorAll('table').length));
  });
})();
`;

/** A numeric cell with its raw value for sorting. */
const num = (text: string, v: number | null | undefined): string =>
  `<td class="num" data-v="${typeof v === 'number' && Number.isFinite(v) ? v : '-Infinity'}">${e(text)}</td>`;

function thead(cols: string[]): string {
  return `<thead><tr>${cols.map((c) => `<th>${e(c)}</th>`).join('')}</tr></thead>`;
}

function leaderboardTable(model: ReportModel): string {
  const rows = model.rows.map((r) => {
    const cells = model.suites.map((s) => {
      const c = r.cells[s];
      return c
        ? `<td class="num" data-v="${c.mean}">${pct(c.mean)} <span class="ci">${ciText(c.ci95)} n=${c.n}</span></td>`
        : `<td class="missing" data-v="-Infinity">${DASH}</td>`;
    });
    return `<tr><td>${e(r.label)}</td>${cells.join('')}</tr>`;
  });
  return `<table class="sortable" id="leaderboard-table">${thead(['Provider', ...model.suites.map((s) => `${s} (%)`)])}<tbody>${rows.join('')}</tbody></table>`;
}

function countedApartHtml(model: ReportModel): string {
  const notes = countedApartNotes(model);
  return notes.length === 0 ? '' : `<p class="counted-apart">Counted apart:</p><ul class="counted-apart">${notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>`;
}

function performanceTable(model: ReportModel): string {
  const rows = model.rows.map((r) => {
    const o = r.overall;
    return `<tr><td>${e(r.label)}</td>${num(int(o.n), o.n)}`
      + `${num(pcts(o.latency.ttft_ms), o.latency.ttft_ms.p50)}${num(pcts(o.latency.tpot_ms), o.latency.tpot_ms.p50)}${num(pcts(o.latency.e2e_ms), o.latency.e2e_ms.p50)}`
      + `${num(rate(o.throughput_tok_s), o.throughput_tok_s)}${num(int(o.tokens.prompt), o.tokens.prompt)}${num(int(o.tokens.completion), o.tokens.completion)}${num(int(o.tokens.reasoning), o.tokens.reasoning)}${num(usd(o.cost_total), o.cost_total)}</tr>`;
  });
  return `<table class="sortable" id="performance-table">${thead(['Provider', 'Attempts', 'TTFT p50/p90/p99 (ms)', 'TPOT p50/p90/p99 (ms)', 'End-to-end p50/p90/p99 (ms)', 'Throughput (tok/s)', 'Prompt tokens', 'Completion tokens', 'Reasoning tokens', 'Cost (USD)'])}<tbody>${rows.join('')}</tbody></table>`;
}

function suiteTables(model: ReportModel): string {
  return model.suites.map((s, si) => {
    const rows = model.rows.filter((r) => r.cells[s]).map((r) => {
      const c = r.cells[s]!;
      return `<tr><td>${e(r.label)}</td>${num(int(c.n), c.n)}${num(int(c.n_items), c.n_items)}${num(int(c.n_errors), c.n_errors)}${num(int(c.n_unsupported), c.n_unsupported)}${num(int(c.n_cached), c.n_cached)}${num(pct(c.mean), c.mean)}<td>${ciText(c.ci95)}</td>${num(pct(c.pass_rate), c.pass_rate)}<td>${e(passAtKText(c.pass_at_k))}</td>`
        + `${num(pcts(c.latency.ttft_ms), c.latency.ttft_ms.p50)}${num(pcts(c.latency.tpot_ms), c.latency.tpot_ms.p50)}${num(pcts(c.latency.e2e_ms), c.latency.e2e_ms.p50)}${num(rate(c.throughput_tok_s), c.throughput_tok_s)}${num(int(c.tokens.total), c.tokens.total)}${num(usd(c.cost_per_item), c.cost_per_item)}</tr>`;
    });
    return `<h3 id="suite-${si}">${e(s)}</h3><table class="sortable suite-table">${thead(['Provider', 'Attempts', 'Items', 'Errors', 'Unsupported', 'Cached', 'Mean (%)', '95% CI (%)', 'Pass rate (%)', 'pass@k (%)', 'TTFT p50/p90/p99 (ms)', 'TPOT p50/p90/p99 (ms)', 'End-to-end p50/p90/p99 (ms)', 'Throughput (tok/s)', 'Tokens', 'Cost per item'])}<tbody>${rows.join('')}</tbody></table>`;
  }).join('\n');
}

function metricsTable(model: ReportModel): string {
  if (model.metrics.length === 0) return '';
  const label = new Map(model.rows.map((r) => [r.key, r.label]));
  const rows = model.metrics.map((m) => `<tr><td>${e(label.get(m.row) ?? m.row)}</td><td>${e(m.suite)}</td><td>${e(m.metric)}</td>${num(pct(m.mean), m.mean)}${num(int(m.n), m.n)}</tr>`);
  return `<section id="metrics"><h2>Score metrics</h2><p>Means of the numeric metrics scorers report (e.g. strict and flexible answer matching).</p><table class="sortable" id="metrics-table">${thead(['Provider', 'Suite', 'Metric', 'Mean (%)', 'n'])}<tbody>${rows.join('')}</tbody></table></section>`;
}

function breakdownTable(model: ReportModel): string {
  if (model.breakdowns.length === 0) return '';
  const label = new Map(model.rows.map((r) => [r.key, r.label]));
  const rows = model.breakdowns.map((b) => `<tr><td>${e(label.get(b.row) ?? b.row)}</td><td>${e(b.suite)}</td><td>${e(b.key)}</td><td>${e(b.value)}</td>${num(pct(b.mean), b.mean)}${num(int(b.n), b.n)}</tr>`);
  return `<section id="breakdowns"><h2>Breakdowns by item metadata</h2><p>Mean score per value of the items' metadata (task, context length, depth, level…).</p><table class="sortable" id="breakdowns-table">${thead(['Provider', 'Suite', 'Key', 'Value', 'Mean (%)', 'n'])}<tbody>${rows.join('')}</tbody></table></section>`;
}

function publishedTable(model: ReportModel): string {
  const p = model.published;
  if (!p) return '';
  const benches = Object.keys(p.benchmarks);
  const rows = p.models.map((m) => `<tr class="published"><td>${e(m.model)} <span class="badge">${PUBLISHED_LABEL}</span></td>${benches.map((b) => (m.scores[b] === undefined ? `<td class="missing">${DASH}</td>` : num(String(m.scores[b]), m.scores[b]))).join('')}</tr>`);
  const head = benches.map((b) => `${b} (${p.benchmarks[b]!.unit})`);
  return `<section id="published"><h2>Reference scores — ${PUBLISHED_LABEL}</h2><p class="notes">${e(p.note)} Source: ${e(p.source)}.</p><table class="sortable published-table" id="published-table">${thead(['Model', ...head])}<tbody>${rows.join('')}</tbody></table></section>`;
}

function chartsSection(charts: readonly ChartImage[]): string {
  if (charts.length === 0) return '';
  const figs = charts.map((c) => `<figure id="chart-${e(c.file.replace(/\.png$/, ''))}"><img alt="${e(c.title)}" width="1200" height="700" src="data:image/png;base64,${c.png.toString('base64')}"><figcaption>${e(c.title)}</figcaption></figure>`);
  return `<section id="charts"><h2>Charts</h2>${figs.join('\n')}</section>`;
}

function verdictCell(v: { attempts: number; passed: number; errors: number; anchor: string } | undefined): string {
  if (!v) return `<td class="missing" data-v="-1">${DASH}</td>`;
  const cls = v.passed === v.attempts ? 'pass' : v.passed === 0 ? 'fail' : 'partial';
  const text = v.attempts === 1 ? (v.passed ? 'pass' : 'fail') : `${v.passed}/${v.attempts}`;
  return `<td class="${cls}" data-v="${v.passed / v.attempts}"><a href="#${v.anchor}">${text}${v.errors ? ' ⚠' : ''}</a></td>`;
}

function drilldownSection(model: ReportModel): string {
  const parts = model.drilldown.map((d, si) => {
    const id = `drill-${si}`;
    const rows = d.items.map((it) => `<tr${it.disagree ? ' class="disagree"' : ''}><td>${e(it.item_id)}</td>${model.rows.map((r) => verdictCell(it.verdicts[r.key])).join('')}</tr>`);
    const nDis = d.items.filter((i) => i.disagree).length;
    return `<h3>${e(d.suite)} <span class="meta">${d.items.length} items, ${nDis} with disagreement</span></h3>`
      + `<label><input type="checkbox" class="disagree-toggle" data-table="${id}"> show only items where providers disagree</label>`
      + `<table class="sortable drill" id="${id}">${thead(['Item', ...model.rows.map((r) => r.label)])}<tbody>${rows.join('')}</tbody></table>`;
  });
  return `<section id="drilldown"><h2>Per-item drill-down</h2><p>Each item's verdict per provider (pass, fail, or passes/attempts; ⚠ = an attempt errored). Click a verdict for the output and transcript.</p>${parts.join('\n')}</section>`;
}

function attemptBlock(r: AttemptRecord, max: number): string {
  const t = r.timings;
  const meta = [
    `attempt ${r.attempt}`,
    `score ${r.score.value.toFixed(3)}`,
    r.score.pass ? 'pass' : 'fail',
    t ? `e2e ${ms(t.e2e_ms)} ms` : null,
    t?.ttft_ms != null ? `TTFT ${ms(t.ttft_ms)} ms` : null,
    r.usage ? `tokens ${r.usage.prompt_tokens} in / ${r.usage.completion_tokens} out` : null,
    r.cost != null ? `cost ${usd(r.cost)}` : null,
    r.cached ? 'cached' : null,
  ].filter((x): x is string => x !== null).join(' · ');
  let html = `<div class="attempt"><div class="meta">${e(meta)}</div>`;
  if (r.error) html += `<div class="err">error: ${e(truncate(r.error, max))}</div>`;
  html += `<pre class="out">${e(truncate(r.output ?? '', max))}</pre>`;
  if (r.reasoning) html += `<details><summary>reasoning</summary><pre>${e(truncate(r.reasoning, max))}</pre></details>`;
  if (r.transcript && r.transcript.length > 0) {
    const msgs = r.transcript.slice(0, MAX_MESSAGES).map((m) => {
      const calls = m.tool_calls?.map((c) => `${c.function.name}(${c.function.arguments})`).join('\n') ?? '';
      return `<div class="msg"><b>${e(m.role)}</b><pre>${e(truncate((m.content ?? '') + (calls ? `\n${calls}` : ''), max))}</pre></div>`;
    });
    const more = r.transcript.length > MAX_MESSAGES ? `<p class="meta">… ${r.transcript.length - MAX_MESSAGES} more messages</p>` : '';
    html += `<details><summary>transcript (${r.transcript.length} messages)</summary>${msgs.join('')}${more}</details>`;
  }
  return html + '</div>';
}

function transcriptsSection(model: ReportModel, runs: readonly LoadedRun[], max: number): string {
  // row key → suite → item → attempts
  const index = new Map<string, Map<string, Map<string, AttemptRecord[]>>>();
  const rowsByRun = new Map<string, LeaderboardRow[]>();
  for (const r of model.rows) rowsByRun.set(r.run_id, [...(rowsByRun.get(r.run_id) ?? []), r]);
  for (const run of runs) {
    const rows = rowsByRun.get(run.manifest.run_id) ?? [];
    for (const rec of run.samples) {
      const row = rows.find((r) => r.provider === rec.provider);
      if (!row) continue;
      let bySuite = index.get(row.key);
      if (!bySuite) index.set(row.key, (bySuite = new Map()));
      let byItem = bySuite.get(rec.suite);
      if (!byItem) bySuite.set(rec.suite, (byItem = new Map()));
      let list = byItem.get(rec.item_id);
      if (!list) byItem.set(rec.item_id, (list = []));
      list.push(rec);
    }
  }
  const out: string[] = [];
  for (const d of model.drilldown) {
    out.push(`<h3>${e(d.suite)}</h3>`);
    for (const it of d.items) {
      for (const r of model.rows) {
        const v = it.verdicts[r.key];
        if (!v) continue;
        const recs = index.get(r.key)?.get(d.suite)?.get(it.item_id) ?? [];
        const verdict = v.attempts === 1 ? (v.passed ? 'pass' : 'fail') : `${v.passed}/${v.attempts} passed`;
        out.push(`<details class="transcript" id="${v.anchor}"><summary>${e(d.suite)} · ${e(it.item_id)} · ${e(r.label)} — ${verdict}</summary>${recs.map((x) => attemptBlock(x, max)).join('')}</details>`);
      }
    }
  }
  return `<section id="transcripts"><h2>Outputs and transcripts</h2>${out.join('\n')}</section>`;
}

export function renderHtml(model: ReportModel, runs: readonly LoadedRun[], charts: readonly ChartImage[], maxChars = 4000): string {
  const runsRows = model.runs.map((r) => `<tr><td>${e(r.run_id)}</td><td>${e(r.status)}</td><td>${e(r.created_at)}</td><td>${e(r.git_sha ?? DASH)}</td><td>${e(r.package_version)}</td><td>${e(r.machine ?? DASH)}</td><td>${e(r.engine ?? DASH)}</td><td class="notes">${e(r.notes.join('; '))}</td></tr>`);
  const body = [
    `<header><h1>${e(model.title)}</h1><p class="meta">Generated ${e(model.generated_at)} · ${model.runs.length} run(s) · ${model.rows.length} provider row(s) · ${model.suites.length} suite(s)</p>`,
    `<nav><a href="#leaderboard">Leaderboard</a><a href="#performance">Latency &amp; cost</a><a href="#suites">Suites</a>${model.metrics.length ? '<a href="#metrics">Metrics</a>' : ''}${model.breakdowns.length ? '<a href="#breakdowns">Breakdowns</a>' : ''}${model.published ? '<a href="#published">Published</a>' : ''}${charts.length ? '<a href="#charts">Charts</a>' : ''}<a href="#drilldown">Drill-down</a><a href="#runs">Runs</a></nav></header><main>`,
    `<section id="leaderboard"><h2>Leaderboard</h2><p>Mean score (%) per suite, 95% confidence interval in brackets, n = attempts. Click a header to sort.</p>${leaderboardTable(model)}${countedApartHtml(model)}</section>`,
    `<section id="performance"><h2>Latency, throughput, tokens, cost</h2>${performanceTable(model)}</section>`,
    `<section id="suites"><h2>Per suite</h2>${suiteTables(model)}</section>`,
    metricsTable(model),
    breakdownTable(model),
    publishedTable(model),
    chartsSection(charts),
    drilldownSection(model),
    transcriptsSection(model, runs, maxChars),
    `<section id="runs"><h2>Runs</h2><table class="sortable" id="runs-table">${thead(['Run', 'Status', 'Created', 'Git SHA', 'Version', 'Machine', 'Native engine', 'Notes'])}<tbody>${runsRows.join('')}</tbody></table></section>`,
    '</main>',
  ];
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(model.title)}</title><style>${STYLE}</style></head><body>\n${body.join('\n')}\n<script>${SCRIPT}</script></body></html>\n`;
}

export function htmlReporter(): Reporter {
  return {
    name: 'html',
    needsCharts: true,
    onReport(model: ReportModel, ctx: ReporterContext): string[] {
      const file = join(ctx.outDir, 'report.html');
      writeFileSync(file, renderHtml(model, ctx.runs, ctx.charts, ctx.maxTranscriptChars));
      return [file];
    },
  };
}
