/**
 * The provider table: every entry describes each of its spec forms, and `dsabench list
 * providers`, `dsabench run --help` and a bad spec's error are made from it; `-p oracle` and
 * `-p nop` are stand-ins whose attempts the stand-in solvers make, not models.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { DsabenchError } from '../../src/errors.js';
import { createProvider, PROVIDERS, providerForms, providerUsage } from '../../src/providers/index.js';
import { chatSolver } from '../../src/solvers/chat.js';
import { SOLVERS, solverFor } from '../../src/solvers/index.js';
import { nopSolver, referenceSolver } from '../../src/solvers/stand-ins.js';
import type { Provider, SolveArgs, Suite } from '../../src/types.js';
import { runCli } from '../e2e/cli-helpers.js';

describe('provider table', () => {
  it('every entry has a scheme, a --help form and a description of each spec form', () => {
    const schemes = PROVIDERS.map((p) => p.scheme);
    assert.deepEqual(schemes.slice(0, 5), ['oracle', 'nop', 'replay', 'openai', 'native']);
    assert.equal(new Set(schemes).size, schemes.length, 'a scheme is listed twice');
    for (const p of PROVIDERS) {
      assert.match(p.scheme, /^[a-z][\w-]*$/);
      assert.ok(p.describe.usage.startsWith(p.scheme), `${p.scheme}: --help form ${p.describe.usage}`);
      assert.ok(p.describe.forms.length > 0, `${p.scheme} lists no spec form`);
      for (const f of p.describe.forms) {
        assert.ok(f.spec.startsWith(p.scheme), `${p.scheme}: form ${f.spec}`);
        assert.ok(f.what.trim() !== '', `${p.scheme}: form ${f.spec} has no description`);
      }
    }
  });

  it('`dsabench list providers` is the table: one described row per form, in table order', async () => {
    const forms = providerForms();
    const json = await runCli(['list', 'providers', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), forms.map((f) => f.spec));
    const text = await runCli(['list', 'providers']);
    const rows = text.stdout.trimEnd().split('\n').slice(2);
    assert.equal(rows.length, forms.length);
    forms.forEach((f, i) => {
      assert.ok(rows[i]!.startsWith(f.spec), rows[i]);
      assert.equal(rows[i]!.slice(rows[i]!.indexOf(f.what)), f.what, `row ${i} has its description`);
    });
  });

  it('`dsabench run --help` lists the table\'s forms', async () => {
    // Today's text, which a new entry extends at the end.
    assert.ok(providerUsage().startsWith('oracle | nop | replay:<file> | openai:<model>[@<baseURL>] | native[:<model>?attention=dense|sparse]'), providerUsage());
    const help = await runCli(['run', '--help']);
    assert.equal(help.code, 0, help.stderr);
    const flat = help.stdout.replace(/\s+/g, ' ');
    assert.ok(flat.includes(`provider: ${providerUsage()} (repeatable;`), flat);
  });

  it('a bad spec lists every form of the table', async () => {
    await assert.rejects(createProvider('telepathy:x'), (e: unknown) => e instanceof DsabenchError && e.code === 'E_PROVIDER_SPEC'
      && e.message.endsWith(`expected one of: ${providerForms().map((f) => f.spec).join(', ')}`));
  });
});

describe('oracle and nop are solvers', () => {
  const model: Provider = { id: 'm', model: 'm', complete: () => Promise.reject(new Error('not called here')) };

  it('-p oracle / -p nop make stand-ins; the solver of each attempt comes from the suite\'s solver entry', async () => {
    const oracle = await createProvider('oracle');
    const nop = await createProvider('nop');
    assert.equal(oracle.standIn, 'oracle');
    assert.equal(nop.standIn, 'nop');
    assert.equal(model.standIn, undefined);
    assert.equal(solverFor('chat', model), chatSolver);
    assert.equal(solverFor(undefined, oracle), referenceSolver);
    assert.equal(solverFor('chat', nop), nopSolver);
    const agent = SOLVERS['terminal-agent']!;
    assert.equal(solverFor('terminal-agent', model), agent);
    assert.ok(agent.oracle && agent.nop);
    assert.equal(solverFor('terminal-agent', oracle), agent.oracle);
    assert.equal(solverFor('terminal-agent', nop), agent.nop);
  });

  it('the chat stand-ins answer without calling a model: the reference (an error value without one), or nothing', async () => {
    const suite: Suite = { config: { name: 's', kind: 'math', scorer: { name: 'exact_match' }, prompt: { template: 'q' } }, spec: 's', items: [] };
    const args = (reference?: string): SolveArgs => ({
      suite, item: { id: 'a', input: {}, target: '4', ...(reference !== undefined ? { reference } : {}) }, provider: model,
      messages: [{ role: 'user', content: 'q' }], settings: {}, attempt: 0, workDir: '/nonexistent',
    });
    const timings = { ttft_ms: null, tpot_ms: null, e2e_ms: 0 };
    assert.deepEqual(await referenceSolver(args('4')), { output: '4', completion: { text: '4', timings, error: null, finish_reason: 'stop' } });
    assert.deepEqual(await referenceSolver(args()), { output: '', completion: { text: '', timings, error: 'item has no reference solution', finish_reason: null } });
    assert.deepEqual(await nopSolver(args('4')), { output: '', completion: { text: '', timings, error: null, finish_reason: 'stop' } });
  });
});
