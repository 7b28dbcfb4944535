/**
 * The layer order (.dependency-cruiser.cjs, docs/architecture.md) holds for the tree as it is,
 * and the check catches what it is there to catch: a copy of src/ with an upward import, an
 * import between two folders of one layer and an import loop injected fails it, naming each.
 *
 * dependency-cruiser runs as its CLI does in `npm run lint:layers`: same config, JSON report.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { packageRoot } from '../../src/util/package.js';

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: Array<{ name: string }>;
}

interface CruiseReport {
  summary: { violations: Violation[]; error: number; totalCruised: number };
}

const ROOT = packageRoot();
const CONFIG = '.dependency-cruiser.cjs';

/** Runs dependency-cruiser in `cwd` over `paths`; the JSON report (it exits 1 on violations). */
function cruise(cwd: string, paths: string[]): CruiseReport {
  const bin = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  const r = spawnSync(process.execPath, [bin, '--config', CONFIG, '--output-type', 'json', ...paths], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.ok(r.status === 0 || r.status === 1, `dependency-cruiser failed to run (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as CruiseReport;
}

const show = (vs: readonly Violation[]): string => vs.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (loop: ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`).join('\n');

describe('layer order', () => {
  it('the tree has no upward import, no import between sibling folders and no import loop', () => {
    const report = cruise(ROOT, ['src', 'test', 'bench']);
    assert.ok(report.summary.totalCruised > 300, `only ${report.summary.totalCruised} modules cruised: the check did not see the tree`);
    assert.deepEqual(report.summary.violations, [], `layer check failed:\n${show(report.summary.violations)}`);
  });

  describe('a copy of src/ with injected imports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsabench-layers-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    for (const f of [CONFIG, 'tsconfig.json', 'package.json']) copyFileSync(join(ROOT, f), join(dir, f));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    // runner → cli, type-only: the import that used to tie the runner to the CLI.
    appendFileSync(join(dir, 'src', 'runner', 'run.ts'), "\nexport type { ConfigFile } from '../cli/run-settings.js';\n");
    // model → reports: a plain upward import from the middle of the order.
    appendFileSync(join(dir, 'src', 'model', 'sampling.ts'), "\nimport '../reports/index.js';\n");
    // model → providers: two folders of one layer, in the direction that is not allowed.
    appendFileSync(join(dir, 'src', 'model', 'tokens.ts'), "\nimport '../providers/index.js';\n");
    // A loop inside one folder: hash.ts → pause.ts → hash.ts.
    appendFileSync(join(dir, 'src', 'util', 'hash.ts'), "\nimport './pause.js';\n");
    appendFileSync(join(dir, 'src', 'util', 'pause.ts'), "\nimport './hash.js';\n");
    const violations = cruise(dir, ['src']).summary.violations;
    const found = (rule: string, from: string, to: string): boolean => violations.some((v) => v.rule.name === rule && v.from === from && v.to === to);

    it('reports the upward imports, naming the layer and both files', () => {
      assert.ok(found('upward-from-runner', 'src/runner/run.ts', 'src/cli/run-settings.ts'), show(violations));
      assert.ok(found('upward-from-models', 'src/model/sampling.ts', 'src/reports/index.ts'), show(violations));
    });

    it('reports the import between sibling folders', () => {
      assert.ok(found('sibling-model', 'src/model/tokens.ts', 'src/providers/index.ts'), show(violations));
    });

    it('reports the loop', () => {
      const loops = violations.filter((v) => v.rule.name === 'no-circular');
      assert.ok(loops.some((v) => v.cycle?.some((c) => c.name === 'src/util/pause.ts') && v.cycle.some((c) => c.name === 'src/util/hash.ts')), show(violations));
    });

    it('reports nothing else: the copy is the tree plus the injected imports', () => {
      const injected = new Set(['src/runner/run.ts', 'src/model/sampling.ts', 'src/model/tokens.ts', 'src/util/hash.ts', 'src/util/pause.ts']);
      const other = violations.filter((v) => !injected.has(v.from) && !(v.cycle ?? []).some((c) => injected.has(c.name)));
      assert.deepEqual(other, [], show(other));
    });
  });
});
