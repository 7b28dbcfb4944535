/**
 * `dsabench run -s X` without -p: the default job's providers (the built-in model, dense and
 * sparse), never a silent oracle; without the model's weights a usage error asking for -p.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { saveModel } from '../../src/model/checkpoint.js';
import { QUICK_CONFIG } from '../../src/model/config.js';
import { createNativeModel, modelLayout, numParams } from '../../src/model/native.js';
import type { AttemptRecord, RunManifest } from '../../src/types.js';
import { runCli, writeTrivialSuite } from './cli-helpers.js';
import { haveNativeModel } from '../helpers/native-model.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-default-provider-'));
after(() => rmSync(root, { recursive: true, force: true }));

const haveModel = haveNativeModel();

describe('dsabench run without --provider', () => {
  const suite = writeTrivialSuite(join(root, 'suite'), 3);

  it('refuses (exit 2) when the default job\'s model is not installed, and writes nothing', async () => {
    const empty = join(root, 'no-model');
    mkdirSync(empty, { recursive: true });
    const env = { DSABENCH_DEFAULT_MODEL: empty };
    const out = join(root, 'refused');
    const r = await runCli(['run', '-s', suite, '--out', out, '-q'], { env });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /E_USAGE: provider: no provider given, and the default job's model ".*no-model" is not installed \(.*model\.safetensors is missing\)\. Name a provider: -p openai:<model>/);
    assert.match(r.stderr, /-p oracle to answer with the suite's references/);
    assert.ok(!existsSync(out), 'no run folder');
    // The same for a --config file without "providers".
    const cfg = join(root, 'no-providers.json');
    writeFileSync(cfg, JSON.stringify({ suites: [suite] }));
    const c = await runCli(['run', '--config', cfg, '--out', out, '-q'], { env });
    assert.equal(c.code, 2, c.stderr);
    assert.match(c.stderr, /no provider given/);
    // Named, the oracle runs.
    const named = await runCli(['run', '-s', suite, '-p', 'oracle', '--out', join(root, 'named'), '-q', '--workers', '0'], { env });
    assert.equal(named.code, 0, named.stderr);
  });

  it('--help documents the default', async () => {
    const r = await runCli(['run', '--help']);
    assert.match(r.stdout, /--suite without --provider .* evaluates the default job's\s+providers, the built-in model dense and sparse/);
    assert.match(r.stdout, /The oracle \(answers with the references, so 100%\) runs only when named/);
  });

  it('uses the default job\'s providers (the model, dense and sparse) when it is installed', { skip: haveModel ? false : 'native model not built' }, async () => {
    const model = join(root, 'model');
    const layout = modelLayout(QUICK_CONFIG);
    const params = new Float32Array(numParams(layout));
    createNativeModel(QUICK_CONFIG, params).initParams(3);
    saveModel(model, QUICK_CONFIG, layout, params, { step: 0, stage: 'init' });
    // A random model never ends its reply: cap it.
    const capped = join(root, 'capped');
    writeTrivialSuite(capped, 2);
    const cfg = JSON.parse(readFileSync(join(capped, 'suite.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(capped, 'suite.json'), JSON.stringify({ ...cfg, generation: { temperature: 0, max_tokens: 4 } }));
    const out = join(root, 'model-run');
    const r = await runCli(['run', '-s', capped, '--out', out, '--workers', '0', '--no-cache'], { env: { DSABENCH_DEFAULT_MODEL: model } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no --provider given: using the default job's providers native:.*\?attention=dense, native:.*\?attention=sparse/);
    const manifest = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.providers.length, 2);
    assert.ok(manifest.providers.every((p) => p.startsWith('native:')), manifest.providers.join(', '));
    const recs = readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AttemptRecord);
    assert.ok(recs.every((x) => x.provider !== 'oracle'));
  });
});
