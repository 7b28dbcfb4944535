/**
 * `--resume` must not mix configurations: run.json's config_hash certifies what every sample
 * in the folder was evaluated on. When the suite files changed since the run started (an
 * edited items.jsonl or suite.json, a generator that now makes other items), continuing
 * would add new-file attempts to old-file ones under one hash. So such a resume is refused,
 * naming the suites that changed, unless the user asks to rerun them (`--rerun-changed`):
 * then the finished attempts of those suites are discarded and run again, and the new hash
 * describes every sample again.
 */
import { DsabenchError } from '../errors.js';
import type { AttemptRecord, RunManifest } from '../types.js';

export interface ResumeCheck {
  /** Suite names whose finished attempts must be discarded (changed, or no longer in the run). */
  drop: Set<string>;
  /** One line per changed suite, for the log. */
  changes: string[];
}

/** Stands for "every suite" in suiteChanges when no suite differs but the hash does. */
const SETTINGS = '';

/** What differs between run.json's per-suite hashes and the suites now; [] when nothing. */
export function suiteChanges(stored: Readonly<Record<string, string>> | undefined, now: Readonly<Record<string, string>>, storedHash: string, configHash: string): Array<{ suite: string; what: string }> {
  if (!storedHash || storedHash === configHash) return [];
  if (!stored) {
    // A run.json from before per-suite hashes: which suite changed is unknown, so all did.
    return Object.keys(now).map((suite) => ({ suite, what: 'changed (run.json has no per-suite hashes, so every suite counts as changed)' }));
  }
  const out: Array<{ suite: string; what: string }> = [];
  for (const [suite, h] of Object.entries(now)) {
    if (!(suite in stored)) out.push({ suite, what: 'is new (a suite.json name changed?)' });
    else if (stored[suite] !== h) out.push({ suite, what: 'changed (its suite.json or items differ)' });
  }
  for (const suite of Object.keys(stored)) if (!(suite in now)) out.push({ suite, what: 'is no longer in the run (a suite.json name changed?)' });
  // Same suites, other hash: the stored settings hash differently now (a harness upgrade).
  if (out.length === 0) out.push({ suite: SETTINGS, what: 'the stored settings hash differently' });
  return out;
}

/**
 * Throws E_USAGE when the suites changed and `rerunChanged` is false; otherwise says which
 * suites' attempts to discard. Call before anything in the run folder is written.
 */
export function checkResume(
  dir: string,
  manifest: Pick<RunManifest, 'config_hash' | 'suite_hashes'>,
  suiteHashes: Readonly<Record<string, string>>,
  configHash: string,
  previous: readonly AttemptRecord[],
  rerunChanged: boolean,
): ResumeCheck {
  const changes = suiteChanges(manifest.suite_hashes, suiteHashes, manifest.config_hash, configHash);
  if (changes.length === 0) return { drop: new Set(), changes: [] };
  const drop = new Set(changes.map((c) => c.suite));
  // Settings alone (no suite named): every attempt was made under the old hash.
  if (drop.has(SETTINGS)) for (const r of previous) drop.add(r.suite);
  const affected = previous.filter((r) => drop.has(r.suite)).length;
  const lines = changes.map((c) => (c.suite === SETTINGS ? c.what : `suite "${c.suite}" ${c.what}`));
  if (!rerunChanged) {
    throw new DsabenchError(
      'E_USAGE',
      `the suite files changed since this run started (config hash ${manifest.config_hash} → ${configHash}): ${lines.join('; ')}. ` +
        `The ${affected} finished attempt(s) of ${drop.size === 1 ? 'that suite' : 'those suites'} were made with the old files, and one run must not mix both. ` +
        `Start a new run (without --resume), or continue with --resume ${dir} --rerun-changed to discard those ${affected} attempt(s) and run them again with the current files.`,
      { file: dir, field: 'resume' },
    );
  }
  return { drop, changes: lines };
}
