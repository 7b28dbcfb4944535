/**
 * `dsabench merge DIR… --out DIR`: shard folders (`dsabench run --shard i/n`) joined into one
 * run folder that report and gate read as if one unsharded run had made it.
 *
 * Refused (E_USAGE, nothing written): folders of different configurations (config_hash or
 * suite hashes differ: other suites, providers, limit, repeats, seed or suite files), the
 * same shard twice, shards of different n, or an attempt present in two folders.
 *
 * The merged run.json is the shards' configuration without `shard`, a new run id, and
 * `merged_from` (each shard's run id, shard and status). Its status is "complete" only when
 * every shard is complete and every shard 1..n is there; otherwise "interrupted", which the
 * gate does not pass. Records keep everything but run_id, which becomes the merged run's.
 * The summary is computed from the records, as `dsabench run` computes it.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DsabenchError } from '../errors.js';
import type { AttemptRecord, RunManifest, RunSummary } from '../types.js';
import { newRunId } from './manifest.js';
import type { RunSettings } from './settings.js';
import { parseShard, type Shard } from './shard.js';
import { attemptKey, ensureDir, FILES, readManifest, readSamples, readSummaryFile, writeFileAtomic, writeJson, writeResultsCsv, writeSummary } from '../results/store.js';
import { summarize, type SuiteMeta } from '../results/summary.js';

export interface MergedFrom {
  run_id: string;
  dir: string;
  shard: string | null;
  status: RunManifest['status'];
  attempts: number;
}

export interface MergeOutcome {
  dir: string;
  manifest: RunManifest & { merged_from: MergedFrom[] };
  summary: RunSummary;
  /** Why the merged run is not complete (missing shards, incomplete shards); empty when complete. */
  incomplete: string[];
}

interface Part {
  dir: string;
  manifest: RunManifest;
  shard: Shard | null;
  records: AttemptRecord[];
}

function refuse(msg: string, file?: string): DsabenchError {
  return new DsabenchError('E_USAGE', msg, { field: 'merge', ...(file ? { file } : {}) });
}

/** kind and breakdown keys of each suite, as the shard runs summarized them (no need for the suite files here). */
function metaFromSummaries(parts: readonly Part[]): Record<string, SuiteMeta> {
  const meta: Record<string, SuiteMeta> = {};
  for (const p of parts) {
    const file = join(p.dir, FILES.summary);
    if (!existsSync(file)) continue;
    let summary: RunSummary;
    try {
      summary = readSummaryFile(file) as RunSummary;
    } catch {
      continue;
    }
    for (const s of summary.suites ?? []) {
      if (meta[s.suite]) continue;
      const byMeta = s.breakdowns?.['by_metadata'];
      const keys: string[] = [];
      if (byMeta && typeof byMeta === 'object') {
        for (const [k, v] of Object.entries(byMeta as Record<string, unknown>)) {
          // Pair tables ({rows, cols, cells}) are derived from two single keys.
          const pair = v !== null && typeof v === 'object' && 'rows' in v && 'cols' in v && 'cells' in v;
          if (!pair) keys.push(k);
        }
      }
      meta[s.suite] = { ...(s.kind ? { kind: s.kind } : {}), ...(keys.length > 0 ? { breakdownBy: keys } : {}) };
    }
  }
  return meta;
}

export function mergeRuns(dirs: readonly string[], out: string): MergeOutcome {
  if (dirs.length === 0) throw refuse('no run folders given; expected dsabench merge DIR… --out DIR');
  const outDir = resolve(out);
  if (existsSync(join(outDir, FILES.manifest)) || existsSync(join(outDir, FILES.samples))) {
    throw refuse(`${outDir} already holds a run; choose another --out`, outDir);
  }
  const parts: Part[] = dirs.map((d) => {
    const dir = resolve(d);
    if (dir === outDir) throw refuse('--out is one of the folders to merge; choose another --out', dir);
    const manifest = readManifest(dir);
    const shardText = (manifest.config as Partial<RunSettings>).shard;
    return { dir, manifest, shard: shardText ? parseShard(shardText) : null, records: readSamples(join(dir, FILES.samples)) };
  });

  const first = parts[0]!;
  for (const p of parts.slice(1)) {
    if (p.manifest.config_hash !== first.manifest.config_hash || JSON.stringify(p.manifest.suite_hashes ?? null) !== JSON.stringify(first.manifest.suite_hashes ?? null)) {
      throw refuse(`${p.dir} and ${first.dir} are runs of different configurations (config_hash ${p.manifest.config_hash} vs ${first.manifest.config_hash}): other suites, providers, limit, repeats, seed or suite files; only shards of one configuration merge`, p.dir);
    }
  }
  const counts = new Set(parts.filter((p) => p.shard).map((p) => p.shard!.count));
  if (counts.size > 1) throw refuse(`the folders are shards of different splits (${[...counts].map((n) => `/${n}`).join(', ')}); merge shards of one --shard i/n split`);
  const seenShard = new Map<number, string>();
  for (const p of parts) {
    if (!p.shard) continue;
    const other = seenShard.get(p.shard.index);
    if (other !== undefined) throw refuse(`${p.dir} and ${other} are both shard ${p.shard.index}/${p.shard.count}`, p.dir);
    seenShard.set(p.shard.index, p.dir);
  }
  const owner = new Map<string, string>();
  for (const p of parts) {
    for (const r of p.records) {
      const k = attemptKey(r);
      const other = owner.get(k);
      if (other !== undefined) throw refuse(`attempt ${k} is in both ${other} and ${p.dir}: the folders overlap (the same shard run twice, or a shard merged with the whole run)`, p.dir);
      owner.set(k, p.dir);
    }
  }

  const incomplete: string[] = [];
  for (const p of parts) if (p.manifest.status !== 'complete') incomplete.push(`${p.dir} is ${p.manifest.status} (dsabench run --resume ${p.dir} finishes it)`);
  const n = [...counts][0];
  if (n !== undefined) {
    const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !seenShard.has(i));
    if (missing.length > 0) incomplete.push(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} missing`);
  }
  if (n === undefined && parts.length > 1) incomplete.push('the folders are not shards (no --shard): they may not cover the run');

  const runId = newRunId();
  const config = { ...(first.manifest.config as Record<string, unknown>) };
  delete config['shard'];
  const ordered = [...parts].sort((a, b) => (a.shard?.index ?? 0) - (b.shard?.index ?? 0));
  const records = ordered.flatMap((p) => p.records.map((r) => ({ ...r, run_id: runId })));
  const finished = parts.map((p) => p.manifest.finished_at).filter((t): t is string => typeof t === 'string').sort();
  const manifest: RunManifest & { merged_from: MergedFrom[] } = {
    ...first.manifest,
    run_id: runId,
    created_at: parts.map((p) => p.manifest.created_at).sort()[0] ?? first.manifest.created_at,
    finished_at: finished[finished.length - 1] ?? null,
    status: incomplete.length === 0 ? 'complete' : 'interrupted',
    config,
    merged_from: ordered.map((p) => ({ run_id: p.manifest.run_id, dir: p.dir, shard: p.shard ? `${p.shard.index}/${p.shard.count}` : null, status: p.manifest.status, attempts: p.records.length })),
  };
  const order = manifest.suites.flatMap((suite) => manifest.providers.map((provider) => ({ suite, provider })));
  const summary = summarize(manifest, records, metaFromSummaries(parts), order, { countCached: config['count_cached'] === true });

  ensureDir(outDir);
  writeFileAtomic(join(outDir, FILES.samples), records.map((r) => JSON.stringify(r) + '\n').join(''));
  writeSummary(outDir, summary);
  writeResultsCsv(outDir, records);
  writeJson(join(outDir, FILES.manifest), manifest);
  return { dir: outDir, manifest, summary, incomplete };
}
