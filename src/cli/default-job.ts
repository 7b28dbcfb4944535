/**
 * The default job: what `dsabench run` does when given no --suite, --provider or --config.
 *
 *   data/runs/default.json   the built-in suites (single-needle long-context at 1K-16K bytes,
 *                            small subsets of math/code/terminal, capped generation) on the
 *                            built-in model with dense and with sparse attention, then the
 *                            cost study of the model (`cost` step) and the report (`report`
 *                            step), all into the run's folder.
 *
 * `dsabench run --config data/runs/default.json` is the same job; copy the file to change it.
 * The environment variable DSABENCH_DEFAULT_MODEL (a name under data/models/ or a model
 * directory) replaces the shipped model in the default job. Without the model's weights the
 * default job falls back to the oracle over every built-in suite (DEFAULT_RUN) plus the report.
 *
 * Post-run steps (`runPostSteps`) are shared by any run whose config has `cost` / `report`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigFile } from './run-settings.js';
import { readConfigFile } from './run-settings.js';
import { resolveModelDir, WEIGHTS_FILE } from '../model/checkpoint.js';
import { DEFAULT_NATIVE_MODEL } from '../providers/native.js';
import type { PostSteps } from '../runner/settings.js';
import { packagePath } from '../util/package.js';

/** The shipped default job. */
export function defaultJobFile(): string {
  return packagePath('data', 'runs', 'default.json');
}

export const DEFAULT_MODEL_ENV = 'DSABENCH_DEFAULT_MODEL';

export interface DefaultJob {
  /** The config to run; `{ providers: ['oracle'], report: true }` for the oracle fallback. */
  config: ConfigFile;
  /** The file the config came from (absent for the fallback). */
  file?: string;
  /** The model the job evaluates (absent for the fallback). */
  model?: string;
  /** One line for the user when falling back. */
  notice?: string;
}

/** `native` / `native:<shipped>[?…]` → `native:<model>[?…]`; other specs unchanged. */
export function replaceNativeModel(spec: string, model: string): string {
  if (spec === 'native') return `native:${model}`;
  if (!spec.startsWith('native:')) return spec;
  const rest = spec.slice('native:'.length);
  const q = rest.indexOf('?');
  const name = q < 0 ? rest : rest.slice(0, q);
  if (name !== '' && name !== DEFAULT_NATIVE_MODEL) return spec;
  return `native:${model}${q < 0 ? '' : rest.slice(q)}`;
}

/** The config with every use of the shipped model (providers, cost step) pointed at `model`. */
export function withModel(cfg: ConfigFile, model: string): ConfigFile {
  const out: ConfigFile = { ...cfg };
  if (cfg.providers) out.providers = cfg.providers.map((p) => (typeof p === 'string' ? replaceNativeModel(p, model) : { ...p, spec: replaceNativeModel(p.spec, model) }));
  if (cfg.cost?.model) out.cost = { ...cfg.cost, model: replaceNativeModel(cfg.cost.model, model) };
  return out;
}

/** The default job to run now: data/runs/default.json with the model in place, else the oracle fallback. */
export function resolveDefaultJob(env: NodeJS.ProcessEnv = process.env): DefaultJob {
  const override = env[DEFAULT_MODEL_ENV]?.trim();
  const model = override || DEFAULT_NATIVE_MODEL;
  const weights = join(resolveModelDir(model), WEIGHTS_FILE);
  if (!existsSync(weights)) {
    return {
      // The oracle named here, and said in the notice: never an unnamed default.
      config: { providers: ['oracle'], report: true },
      notice: `note: the built-in model is not installed (${weights} is missing), so this runs every built-in suite with the oracle provider instead; train it with: dsabench train --config data/models/dsa-mini/train.json`,
    };
  }
  const file = defaultJobFile();
  const cfg = readConfigFile(file);
  return { config: override ? withModel(cfg, override) : cfg, file, model };
}

/**
 * One line per suite entry saying how the job narrows or adjusts it, e.g.
 *   "code: first 8 items, replies ≤ 256 tokens"
 *   "long-context: tokenizer=byte lengths=1K depths=5 tasks=(10), replies ≤ 128 tokens"
 */
export function describeSuites(cfg: ConfigFile): string[] {
  const show = (v: unknown): string => (Array.isArray(v) ? (v.length > 3 ? `(${v.length})` : v.map(String).join(',')) : String(v));
  return (cfg.suites ?? []).map((e) => {
    if (typeof e === 'string') return `${e}: as shipped`;
    const parts: string[] = [];
    if (e.generator_options) parts.push(Object.entries(e.generator_options).map(([k, v]) => `${k}=${show(v)}`).join(' '));
    if (e.limit !== undefined) parts.push(`first ${e.limit} items`);
    if (e.generation?.max_tokens !== undefined) parts.push(`replies ≤ ${e.generation.max_tokens} tokens`);
    return `${e.suite}: ${parts.join(', ') || 'as shipped'}`;
  });
}

export interface PostStepsResult {
  /** Folder holding cost.json, cost.csv, cost.md (the run folder). */
  cost?: string;
  /** Report files (report.html, report.md, leaderboard.csv, report.json, charts/*.png). */
  report?: string[];
  reportDir?: string;
  timings_ms: { cost?: number; report?: number };
}

/**
 * The steps after a run: the cost study into the run folder (as `dsabench cost --out DIR`,
 * with --runs DIR unless workload is false), then the report into DIR/report/ (as
 * `dsabench report DIR --cost DIR`).
 */
export async function runPostSteps(dir: string, steps: PostSteps, log: (line: string) => void = () => {}): Promise<PostStepsResult> {
  const res: PostStepsResult = { timings_ms: {} };
  if (steps.cost) {
    const c = steps.cost;
    const t0 = performance.now();
    log(`cost study${c.model ? ` of ${c.model}` : ''}${c.quality ? ' (with fidelity vs k)' : ''} → ${dir}`);
    const { costAction } = await import('./cost.js');
    await costAction(
      {
        profile: c.profile ?? 'deepseek-v3.2',
        profileGiven: c.profile !== undefined,
        ...(c.model ? { model: c.model } : {}),
        ...(c.positions ? { positions: c.positions } : {}),
        mode: c.mode ?? 'decode,prefill',
        ...(c.repeats ? { repeats: String(c.repeats) } : {}),
        ...(c.threads ? { threads: String(c.threads) } : {}),
        hardware: c.hardware ?? 'h800',
        ...(c.workload === false ? {} : { runs: [dir] }),
        quality: c.quality ?? false,
        ...(c.k ? { k: c.k } : {}),
        out: dir,
        measure: true,
      },
      () => {},
    );
    res.cost = dir;
    res.timings_ms.cost = performance.now() - t0;
  }
  if (steps.report) {
    const r = steps.report === true ? {} : steps.report;
    const t0 = performance.now();
    const reportDir = join(dir, 'report');
    const { generateReport } = await import('../reports/index.js');
    const out = await generateReport({
      runs: [dir],
      outDir: reportDir,
      ...(r.formats ? { formats: r.formats } : {}),
      cost: res.cost ? [res.cost] : [],
      ...(r.title ? { title: r.title } : {}),
    });
    res.report = out.files;
    res.reportDir = reportDir;
    res.timings_ms.report = performance.now() - t0;
  }
  return res;
}
