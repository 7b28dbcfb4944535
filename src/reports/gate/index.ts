/**
 * The gate: baseline (run dir or summary.json) vs current run → GateResult, gate.md, JUnit.
 * Exit code 0 (no regression) or 1 (regression); input errors throw DsabenchError (exit 2).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DsabenchError } from '../../errors.js';
import { loadRun } from '../../results/load.js';
import { compareRuns, type GateResult } from './compare.js';
import { DEFAULT_GATE_CONFIG, loadGateConfig, type GateConfig } from './config.js';
import { renderJunit } from './junit.js';
import { renderGateMarkdown } from './markdown.js';

export interface GateOptions {
  baseline: string;
  current: string;
  config?: string | GateConfig;
  junit?: string;
  md?: string;
  json?: string;
  /** Do not fail on baseline items missing from the current run or on an incomplete current run (fail_on_missing_items: false). */
  allowMissing?: boolean;
}

function write(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

export function runGate(opts: GateOptions): GateResult {
  const loaded = typeof opts.config === 'string' ? loadGateConfig(opts.config) : (opts.config ?? structuredClone(DEFAULT_GATE_CONFIG));
  const config: GateConfig = opts.allowMissing ? { ...loaded, fail_on_missing_items: false } : loaded;
  const base = loadRun(opts.baseline);
  const cur = loadRun(opts.current);
  if (cur.samples.length === 0 && cur.summary.suites.length === 0) {
    throw new DsabenchError('E_INPUT_INVALID', 'current run has no results to gate', { file: cur.dir });
  }
  const res = compareRuns(base, cur, config);
  if (opts.md) write(opts.md, renderGateMarkdown(res));
  if (opts.junit) write(opts.junit, renderJunit(res));
  if (opts.json) write(opts.json, JSON.stringify(res, null, 2) + '\n');
  return res;
}

export { compareRuns, type GateCheck, type GateResult, type ItemMismatch } from './compare.js';
export { describeMissing, type Completeness, type MissingItems } from './completeness.js';
export { DEFAULT_GATE_CONFIG, loadGateConfig, parseGateConfig, type GateConfig } from './config.js';
export { renderJunit } from './junit.js';
export { renderGateMarkdown } from './markdown.js';
