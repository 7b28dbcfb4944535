/**
 * Factories for constructed runs (results/<run-id>/ directories) and cost studies, used by
 * the report, gate and e2e tests and the report-generation benchmark.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeAll } from '../../src/results/summarize.js';
import type { CostStudy } from '../../src/reports/types.js';
import type { AttemptRecord, RunManifest, RunSummary } from '../../src/types.js';
import { mulberry32 } from '../../src/util/stats.js';

export interface SuiteSpec {
  name: string;
  kind?: 'math' | 'code' | 'terminal' | 'long-context';
  items: number;
  /** Share of items that pass (deterministic: the first round(rate·n) items pass, or `passing`). */
  passRate?: number;
  /** Explicit set of passing item indices (overrides passRate). */
  passing?: (i: number) => boolean;
  /** Non-binary scores: value per item index (pass = value ≥ 0.5). */
  value?: (i: number) => number;
  attempts?: number;
  /** Median end-to-end latency (ms); per-request latencies are lognormal around it. */
  e2eMs?: number;
  /** Item id prefix/offset to build mismatched item sets. */
  idOffset?: number;
  /** Long-context metadata: lengths × depths cycled over the items. */
  lengths?: number[];
  depths?: number[];
  /** Accuracy as a function of (length, depth), for long-context items. */
  lcPass?: (length: number, depth: number, i: number) => boolean;
  costPerItem?: number;
  metrics?: boolean;
}

export interface RunSpec {
  run_id: string;
  provider: string;
  suites: SuiteSpec[];
  seed?: number;
  /** Write summary.json (default true). */
  summary?: boolean;
  /** Write run.json (default true). */
  manifest?: boolean;
}

export function makeManifest(runId: string, suites: string[], providers: string[]): RunManifest {
  return {
    run_id: runId,
    created_at: '2026-11-28T10:00:00.000Z',
    finished_at: '2026-11-28T10:05:00.000Z',
    status: 'complete',
    package_version: '0.1.0',
    git_sha: 'abc1234',
    config: {},
    config_hash: 'h',
    seed: 1,
    engine: null,
    machine: { cpus: 2 },
    suites,
    providers,
  };
}

/** Lognormal-ish latency: median · exp(0.25·z), z from a Box–Muller draw. */
function latency(rand: () => number, median: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return median * Math.exp(0.25 * z);
}

export function makeRecords(spec: RunSpec): AttemptRecord[] {
  const rand = mulberry32(spec.seed ?? 7);
  const out: AttemptRecord[] = [];
  for (const s of spec.suites) {
    const attempts = s.attempts ?? 1;
    const nPass = Math.round((s.passRate ?? 0.5) * s.items);
    for (let i = 0; i < s.items; i++) {
      const id = `${s.name}-${String(i + (s.idOffset ?? 0)).padStart(4, '0')}`;
      const length = s.lengths ? s.lengths[i % s.lengths.length]! : undefined;
      const depth = s.depths && s.lengths ? s.depths[Math.floor(i / s.lengths.length) % s.depths.length]! : undefined;
      for (let a = 0; a < attempts; a++) {
        let value: number;
        if (s.value) value = s.value(i);
        else if (s.lcPass && length !== undefined) value = s.lcPass(length, depth ?? 0, i) ? 1 : 0;
        else if (s.passing) value = s.passing(i) ? 1 : 0;
        else value = i < nPass ? 1 : 0;
        if (attempts > 1 && a === attempts - 1 && value === 0 && i % 3 === 0) value = 1;
        const e2e = latency(rand, s.e2eMs ?? 1000);
        const ttft = e2e * 0.2;
        const completion = 50 + Math.floor(rand() * 200);
        out.push({
          run_id: spec.run_id,
          suite: s.name,
          item_id: id,
          provider: spec.provider,
          attempt: a,
          input_hash: `h-${id}`,
          output: value >= 0.5 ? `The answer is \\boxed{${i}}.` : `I think it is ${i + 1} <b>&amp;</b>`,
          score: { value, pass: value >= 0.5, details: s.metrics ? { metrics: { strict: value, flexible: Math.min(1, value + (i % 4 === 0 ? 1 : 0)) } } : undefined },
          usage: { prompt_tokens: 100, completion_tokens: completion, total_tokens: 100 + completion },
          timings: { ttft_ms: ttft, tpot_ms: (e2e - ttft) / (completion - 1), e2e_ms: e2e },
          cost: s.costPerItem ?? null,
          error: null,
          transcript: [{ role: 'user', content: `Question ${i}?` }, { role: 'assistant', content: `Answer ${i}` }],
          metadata: length !== undefined ? { length, depth } : undefined,
        });
      }
    }
  }
  return out;
}

export function makeSummary(spec: RunSpec, records: AttemptRecord[]): RunSummary {
  const manifest = makeManifest(spec.run_id, spec.suites.map((s) => s.name), [spec.provider]);
  const suites = summarizeAll(records).map((s) => ({ ...s, kind: spec.suites.find((x) => x.name === s.suite)?.kind }));
  return { manifest, suites };
}

/** Writes a run directory under `root` and returns its path. */
export function writeRun(root: string, spec: RunSpec): string {
  const dir = join(root, spec.run_id);
  mkdirSync(dir, { recursive: true });
  const records = makeRecords(spec);
  writeFileSync(join(dir, 'samples.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const summary = makeSummary(spec, records);
  if (spec.manifest !== false) writeFileSync(join(dir, 'run.json'), JSON.stringify(summary.manifest, null, 2));
  if (spec.summary !== false) writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
  return dir;
}

/** A cost study shaped like the cost command's output, following the DSA cost model. */
export function makeCostStudy(): CostStudy {
  const points: CostStudy['points'] = [];
  for (let e = 10; e <= 17; e++) {
    const L = 2 ** e;
    const dense = 278528 * L;
    const sparse = 16384 * L + 278528 * Math.min(L, 2048);
    for (const mode of ['decode', 'prefill'] as const) {
      const scale = mode === 'decode' ? 1e-9 : 0.4e-9;
      points.push({ mode, position: L, attention: 'dense', ms_median: dense * scale, flops: dense, usd_per_mtok: dense * scale * 4 });
      points.push({ mode, position: L, attention: 'sparse', ms_median: sparse * scale, flops: sparse, indexer_share: (16384 * L) / sparse, usd_per_mtok: sparse * scale * 4 });
    }
  }
  const quality = [64, 128, 256, 512, 1024, 2048, 4096].map((k) => ({ k, mass_recall: 1 - 0.5 / Math.sqrt(k / 16), rel_error: 0.4 / Math.sqrt(k / 16) }));
  return { profile: 'deepseek-v3.2', hardware: 'h800', points, quality };
}

export function writeCostStudy(dir: string, study: CostStudy = makeCostStudy()): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cost.json'), JSON.stringify(study, null, 2));
  return dir;
}

/** Three runs: two providers on math/code/long-context, plus a third with different latency. */
export function threeRuns(root: string): string[] {
  const lc = (bias: number): SuiteSpec => ({
    name: 'ruler-niah',
    kind: 'long-context',
    items: 120,
    lengths: [4096, 8192, 16384, 32768, 65536, 131072],
    depths: [0, 25, 50, 75, 100],
    lcPass: (length, depth, i) => ((i * 37) % 100) / 100 < bias - Math.log2(length / 4096) * 0.08 - (depth === 50 ? 0.15 : 0),
  });
  return [
    writeRun(root, { run_id: 'run-a', provider: 'openai:deepseek-v3.2', seed: 1, suites: [
      { name: 'math', kind: 'math', items: 80, passRate: 0.8, e2eMs: 2000, costPerItem: 0.001, metrics: true },
      { name: 'code', kind: 'code', items: 60, passRate: 0.6, attempts: 3, e2eMs: 3000, costPerItem: 0.002 },
      lc(0.95),
    ] }),
    writeRun(root, { run_id: 'run-b', provider: 'openai:deepseek-v3.1', seed: 2, suites: [
      { name: 'math', kind: 'math', items: 80, passRate: 0.7, e2eMs: 2500, costPerItem: 0.003, metrics: true },
      { name: 'code', kind: 'code', items: 60, passRate: 0.5, attempts: 3, e2eMs: 3500, costPerItem: 0.004 },
      lc(0.85),
    ] }),
    writeRun(root, { run_id: 'run-c', provider: 'native:dsa-small', seed: 3, suites: [
      { name: 'math', kind: 'math', items: 80, passRate: 0.3, e2eMs: 300 },
      { name: 'code', kind: 'code', items: 60, passRate: 0.2, attempts: 3, e2eMs: 400 },
    ] }),
  ];
}
