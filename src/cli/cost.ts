/**
 * `dsabench cost`: dense vs DSA cost per token position (measured on the native engine,
 * analytic FLOPs/bytes, roofline projection), money, fidelity vs k and workload cost of runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DsabenchError } from '../errors.js';
import type { Mode } from '../cost/analytic.js';
import { loadEngine } from '../cost/engine-timer.js';
import { formatCsv, formatMarkdown } from '../cost/format.js';
import { loadHardware } from '../cost/hardware.js';
import { loadProfile } from '../cost/profiles.js';
import { DEFAULT_K_VALUES, tsQualityOps } from '../cost/quality.js';
import { COST_SCHEMA } from '../cost/schema.js';
import { runStudy, type CostReport } from '../cost/study.js';
import type { CommandModule } from './command.js';

export const DEFAULT_POSITIONS = '1K,2K,3K,4K,6K,8K,12K,16K,32K,64K,128K';
/** Positions of `--model` studies when none are given (clipped to the model's context). */
export const DEFAULT_MODEL_POSITIONS = '512,1K,2K,4K';

/** "1K,2K,128K,5000" → [1024, 2048, 131072, 5000]; K = 1024, M = 1024². */
export function parsePositions(spec: string, field = 'positions'): number[] {
  const out: number[] = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(raw);
    if (!m) throw new DsabenchError('E_OPTION', `"${raw}" is not a position (expected e.g. 4096, 4K, 128K)`, { field });
    const mult = m[2]!.toLowerCase() === 'k' ? 1024 : m[2]!.toLowerCase() === 'm' ? 1024 * 1024 : 1;
    const v = Math.round(Number(m[1]) * mult);
    out.push(v);
  }
  if (out.length === 0) throw new DsabenchError('E_OPTION', 'expected a comma-separated list of positions', { field });
  return out;
}

function parseModes(spec: string): Mode[] {
  const modes = spec.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of modes) {
    if (m !== 'decode' && m !== 'prefill') {
      throw new DsabenchError('E_OPTION', `unknown mode "${m}" (expected decode, prefill or both: decode,prefill)`, { field: 'mode' });
    }
  }
  if (modes.length === 0) throw new DsabenchError('E_OPTION', 'expected decode, prefill or decode,prefill', { field: 'mode' });
  return [...new Set(modes)] as Mode[];
}

function positiveInt(v: string | undefined, field: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new DsabenchError('E_OPTION', `expected a positive integer, got "${v}"`, { field });
  return n;
}

export interface CostCliOptions {
  profile: string;
  positions?: string;
  lengths?: string;
  mode: string;
  chunk?: string;
  repeats?: string;
  threads?: string;
  /** How the timed caches are stored: auto (bf16 where the engine has bf16 dot products, else f32), f32, bf16. */
  cacheDtype?: string;
  pricePerHour?: string;
  hardware: string;
  runs?: string[];
  quality?: boolean;
  k?: string;
  out?: string;
  json?: string | boolean;
  csv?: string;
  measure: boolean;
  schema?: boolean;
  /** native:<model>: study the built-in model itself (model-study.ts). */
  model?: string;
  /** With `model`: --profile was given on purpose (else the model's own profile is used). */
  profileGiven?: boolean;
}

export async function costAction(o: CostCliOptions, write: (s: string) => void = (s) => process.stdout.write(s)): Promise<CostReport | null> {
  if (o.schema) {
    write(JSON.stringify(COST_SCHEMA, null, 2) + '\n');
    return null;
  }
  const profile = o.model && !o.profileGiven ? undefined : loadProfile(o.profile);
  const positions = parsePositions(o.positions ?? o.lengths ?? (o.model ? DEFAULT_MODEL_POSITIONS : DEFAULT_POSITIONS), o.lengths && !o.positions ? 'lengths' : 'positions');
  const modes = parseModes(o.mode);
  const chunk = positiveInt(o.chunk, 'chunk', 16);
  const repeats = positiveInt(o.repeats, 'repeats', 3);
  const threads = positiveInt(o.threads, 'threads', 1);
  let pricePerHour: number | undefined;
  if (o.pricePerHour !== undefined) {
    pricePerHour = Number(o.pricePerHour);
    if (!Number.isFinite(pricePerHour) || pricePerHour <= 0) {
      throw new DsabenchError('E_OPTION', `price per hour must be a positive number of USD, got "${o.pricePerHour}"`, { field: 'price-per-hour' });
    }
  }
  const hardware = o.hardware === 'none' ? undefined : loadHardware(o.hardware);
  let kValues = o.model ? DEFAULT_K_VALUES.filter((k) => k <= 512).concat([16, 32]).sort((a, b) => a - b) : DEFAULT_K_VALUES;
  if (o.k !== undefined) kValues = parsePositions(o.k, 'k');
  const cacheDtype = o.cacheDtype === undefined || o.cacheDtype === 'auto' ? undefined : o.cacheDtype;
  if (cacheDtype !== undefined && cacheDtype !== 'f32' && cacheDtype !== 'bf16')
    throw new DsabenchError('E_USAGE', `--cache-dtype must be auto, f32 or bf16, got '${o.cacheDtype}'`, { field: 'cache-dtype' });
  const engine = o.measure || o.quality ? await loadEngine(threads, cacheDtype) : { reason: 'not measured (--no-measure)' };
  const progress = process.stderr.isTTY && o.measure;
  if (o.model) {
    const { runModelStudy, formatModelMarkdown } = await import('../cost/model-study.js');
    const report = await runModelStudy({
      model: o.model,
      ...(profile ? { profile } : {}),
      modes,
      positions,
      chunk,
      repeats,
      threads,
      timer: o.measure ? engine.timer : undefined,
      timerUnavailable: o.measure ? `unsupported: engine not built (${engine.reason ?? 'unknown'})` : 'unsupported: not measured (--no-measure)',
      pricePerHour,
      hardware,
      quality: o.quality ? { ops: engine.ops ?? tsQualityOps(), kValues } : undefined,
      runs: o.runs,
      onPoint: progress ? (l) => process.stderr.write(l + '\n') : undefined,
    });
    engine.timer?.close?.();
    writeOutputs(o, report, formatModelMarkdown(report), write);
    return report;
  }
  const report = await runStudy({
    profile: profile ?? loadProfile(o.profile),
    modes,
    positions,
    chunk,
    repeats,
    threads,
    timer: o.measure ? engine.timer : undefined,
    timerUnavailable: o.measure ? `unsupported: engine not built (${engine.reason ?? 'unknown'})` : 'unsupported: not measured (--no-measure)',
    pricePerHour,
    hardware,
    quality: o.quality ? { ops: engine.ops ?? tsQualityOps(), kValues } : undefined,
    runs: o.runs,
    onPoint: progress ? (p) => process.stderr.write(`  ${p.mode} ${p.position} ${p.attention}: ${p.ms_median?.toFixed(3) ?? '–'} ms\n`) : undefined,
  });
  engine.timer?.close?.();
  writeOutputs(o, report, formatMarkdown(report), write);
  return report;
}

/** cost.json / cost.csv / cost.md under --out, --json, --csv, and the tables (or JSON) on stdout. */
function writeOutputs(o: CostCliOptions, report: CostReport, markdown: string, write: (s: string) => void): void {
  const json = JSON.stringify(report, null, 2) + '\n';
  if (o.out) {
    mkdirSync(o.out, { recursive: true });
    writeFileSync(join(o.out, 'cost.json'), json);
    writeFileSync(join(o.out, 'cost.csv'), formatCsv(report.points));
    writeFileSync(join(o.out, 'cost.md'), markdown);
  }
  if (typeof o.json === 'string') writeFileSync(o.json, json);
  if (o.csv) writeFileSync(o.csv, formatCsv(report.points));
  write(o.json === true ? json : markdown);
}

const cmd: CommandModule = {
  register(program: Command) {
    program
      .command('cost')
      .description('Dense vs DSA cost per token position (measured on the native engine, analytic FLOPs/bytes, roofline projection), money, fidelity vs k, and the cost of real runs.')
      .option('--profile <name|file>', 'model profile: a name in data/profiles or a JSON file', 'deepseek-v3.2')
      .option('--positions <list>', `token positions (keys seen by the query), e.g. 1K,4K,128K (default ${DEFAULT_POSITIONS})`)
      .option('--lengths <list>', 'alias of --positions (the name `bench attention` uses)')
      .option('--mode <list>', 'decode, prefill, or decode,prefill', 'decode,prefill')
      .option('--chunk <n>', 'prefill: queries per measured call, ending at the position (default 16)')
      .option('--repeats <n>', 'timed repeats per point; the median is kept (default 3)')
      .option('--threads <n>', 'engine threads per call (default 1)')
      .option('--cache-dtype <dtype>', 'timed caches: auto (bf16 where the engine has bf16 dot products, else f32; the report names it) | f32 | bf16', 'auto')
      .option('--price-per-hour <usd>', "price of the measuring machine per hour, for measured $/Mtok")
      .option('--hardware <name|file>', 'GPU profile for the roofline projection (h800, h100, h200, b200, a file, or none)', 'h800')
      .option('--runs <dirs...>', 'results/<run-id> directories whose attempts to cost')
      .option('--quality', 'also measure fidelity (mass recall, output error) vs k on structured synthetic attention (with --model: on the model\'s real attention)')
      .option('--model <spec>', `study the built-in model itself: native:<model> (profile from its config.json, whole-model decode timing dense vs sparse, --quality on its real attention inputs; positions default ${DEFAULT_MODEL_POSITIONS})`)
      .option('--k <list>', 'k values for --quality (default 64,128,…,4096)')
      .option('--out <dir>', 'write cost.json, cost.csv and cost.md there')
      .option('--json [file]', 'write cost.json to FILE, or print it instead of the tables when no FILE')
      .option('--csv <file>', 'write the points as CSV')
      .option('--no-measure', 'skip engine timing: analytic FLOPs/bytes and projection only (fast)')
      .option('--schema', 'print the JSON Schema of cost.json and exit')
      .addHelpText(
        'after',
        `
Examples:
  $ dsabench cost --no-measure                                  # analytic + roofline, instantly
  $ dsabench cost --mode decode --positions 1K,8K,32K,128K --repeats 2 --threads 2 --out results/cost
  $ dsabench cost --profile llama3-8b-dsa --hardware h100 --no-measure --json
  $ dsabench cost --runs results/2026-11-28T10-00-00 --price-per-hour 0.10
  $ dsabench cost --quality --no-measure --k 64,256,1024,4096
  $ dsabench cost --model native:dsa-mini --quality --mode decode --hardware none --out results/cost-mini
Cost per token "at position p" is one token whose query sees p cached tokens (one layer for
ms_median/flops/bytes; model_* adds all layers and the non-attention FLOPs). Projected figures
come from a roofline model of the GPU, not from a measurement. "$/Mtok (est.)" is an estimate
on top of the measured attention (model_ms at --price-per-hour). The indexer share of DSA time
is the selection phase (indexer + top-k) timed inside each fused call ÷ that call's wall time,
median over calls, not clamped; the FLOP share is its own column.`,
      )
      .action(async (opts: CostCliOptions, command: Command) => {
        await costAction({ ...opts, profileGiven: command.getOptionValueSource('profile') !== 'default' });
      });
  },
};
export default cmd;
