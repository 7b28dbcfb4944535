import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { countAttempts, executeAttempts } from '../../src/runner/attempts.js';
import { ScoringPool } from '../../src/runner/pool.js';
import { attemptKey } from '../../src/results/store.js';
import { summarizeGroup } from '../../src/results/summary.js';
import { SCORERS } from '../helpers/scorer-table.js';
import { SOLVERS } from '../../src/solvers/index.js';
import type { AttemptRecord, Completion, CompletionRequest, Provider, ScoreFn, Suite } from '../../src/types.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-attempts-'));
after(() => rmSync(root, { recursive: true, force: true }));

function suite(n: number, over: Partial<Suite['config']> = {}): Suite {
  return {
    spec: 'mem',
    config: { name: 'mem', kind: 'math', scorer: { name: 'exact_match' }, prompt: { template: 'Say {x}' }, generation: { temperature: 0.5 }, ...over },
    items: Array.from({ length: n }, (_, i) => ({ id: `i${i}`, input: { x: i }, target: String(i), reference: String(i), metadata: { parity: i % 2 } })),
  };
}

/** A provider that echoes the reference, fails on one item, and counts concurrent calls. */
function fakeProvider(id: string, opts: { failOn?: string; delayMs?: number } = {}): Provider & { peak: number; calls: CompletionRequest[] } {
  let inFlight = 0;
  const p = {
    id,
    model: 'deepseek-chat',
    peak: 0,
    calls: [] as CompletionRequest[],
    async complete(req: CompletionRequest): Promise<Completion> {
      p.calls.push(req);
      inFlight++;
      p.peak = Math.max(p.peak, inFlight);
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 0));
      inFlight--;
      if (req.item.id === opts.failOn) return { text: '', timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 1 }, error: 'HTTP 500' };
      return { text: req.item.reference ?? '', usage: { prompt_tokens: 1_000_000, completion_tokens: 1_000_000, total_tokens: 2_000_000 }, timings: { ttft_ms: 1, tpot_ms: 1, e2e_ms: 2 }, error: null };
    },
  };
  return p;
}

describe('executeAttempts', () => {
  it('items × providers × repeats, bounded concurrency, errors as values, cost from prices', async () => {
    const pool = new ScoringPool({ workers: 1 });
    const a = fakeProvider('A', { failOn: 'i3', delayMs: 2 });
    const b = fakeProvider('B', { delayMs: 2 });
    const recs: AttemptRecord[] = [];
    const workRoot = mkdtempSync(join(root, 'w-'));
    try {
      const res = await executeAttempts({
        runId: 'r1', suites: [suite(10)], providers: [a, b], repeats: 3, limit: 8, concurrency: 4, pool,
        prices: { 'deepseek-chat': { input: 0.28, output: 0.42 } }, workRoot, onRecord: (r) => recs.push(r),
      });
      assert.deepEqual(res, { recorded: 48, stopped: false });
    } finally {
      await pool.close();
    }
    assert.equal(countAttempts([suite(10)], 2, 3, 8), 48);
    assert.equal(new Set(recs.map(attemptKey)).size, 48);
    assert.ok(a.peak + b.peak <= 8 && Math.max(a.peak, b.peak) <= 4, `peak ${a.peak}/${b.peak}`);
    const failed = recs.filter((r) => r.error !== null);
    assert.deepEqual(failed.map((r) => `${r.provider}:${r.item_id}`).sort(), ['A:i3', 'A:i3', 'A:i3']);
    assert.deepEqual(failed[0]!.score, { value: 0, pass: false });
    const ok = recs.find((r) => r.provider === 'B' && r.item_id === 'i5' && r.attempt === 2)!;
    assert.deepEqual({ output: ok.output, score: ok.score, cost: ok.cost, metadata: ok.metadata }, { output: '5', score: { value: 1, pass: true }, cost: 0.7, metadata: { parity: 1 } });
    // The same prompt for every provider and repeat of an item; settings from the suite.
    assert.equal(new Set(recs.filter((r) => r.item_id === 'i5').map((r) => r.input_hash)).size, 1);
    assert.deepEqual(b.calls[0]!.settings, { temperature: 0.5 });
    assert.deepEqual(b.calls[0]!.messages, [{ role: 'user', content: `Say ${b.calls[0]!.item.input['x'] as number}` }]);
    assert.deepEqual(readdirSync(workRoot), []); // work dirs removed
  });

  it('skips finished keys and stops launching when asked', async () => {
    const pool = new ScoringPool({ workers: 0 });
    const p = fakeProvider('P', { delayMs: 5 });
    const recs: AttemptRecord[] = [];
    const skip = new Set(['i0', 'i1'].map((id) => attemptKey({ suite: 'mem', item_id: id, provider: 'P', attempt: 0 })));
    const stop = new AbortController();
    try {
      const res = await executeAttempts({
        runId: 'r', suites: [suite(40)], providers: [p], repeats: 1, limit: null, concurrency: 2, pool, prices: {}, skip,
        workRoot: mkdtempSync(join(root, 'w-')),
        onRecord: (r) => {
          recs.push(r);
          if (recs.length === 5) stop.abort();
        },
        stop: stop.signal,
      });
      assert.equal(res.stopped, true);
      assert.ok(res.recorded >= 5 && res.recorded <= 12, String(res.recorded)); // in-flight attempts finish
    } finally {
      await pool.close();
    }
    assert.ok(!recs.some((r) => r.item_id === 'i0' || r.item_id === 'i1'));
  });

  it('solver and scorer get the same private work dir; solver throws become errors', async () => {
    const reg = SCORERS as Record<string, ScoreFn>;
    const seen: string[] = [];
    reg['test_workdir'] = (output, _item, _o, ctx) => {
      seen.push(ctx.workDir ?? '');
      return { value: existsSync(join(ctx.workDir ?? '', 'made-by-solver')) && output === 'done' ? 1 : 0, pass: true };
    };
    SOLVERS['test-solver'] = async (args) => {
      if (args.item.id === 'i1') throw new Error('agent crashed');
      writeFileSync(join(args.workDir, 'made-by-solver'), 'x');
      return { output: 'done', completion: { text: 'done', timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 0 }, error: null }, transcript: [{ role: 'user', content: 'hi' }] };
    };
    const pool = new ScoringPool({ workers: 0 });
    const recs: AttemptRecord[] = [];
    try {
      await executeAttempts({
        runId: 'r', suites: [suite(3, { scorer: { name: 'test_workdir' }, solver: 'terminal-agent' as const })].map((s) => ({ ...s, config: { ...s.config, solver: 'test-solver' as 'chat' } })),
        providers: [fakeProvider('P')], repeats: 1, limit: null, concurrency: 3, pool, prices: {},
        workRoot: mkdtempSync(join(root, 'w-')), keepWorkdirs: true, onRecord: (r) => recs.push(r),
      });
    } finally {
      delete reg['test_workdir'];
      delete SOLVERS['test-solver'];
      await pool.close();
    }
    recs.sort((x, y) => x.item_id.localeCompare(y.item_id));
    assert.deepEqual(recs.map((r) => r.score.value), [1, 0, 1]);
    assert.match(recs[1]!.error ?? '', /^solver failed: agent crashed$/);
    assert.equal(new Set(seen).size, 2);
    assert.deepEqual(recs[0]!.transcript, [{ role: 'user', content: 'hi' }]);
    for (const d of seen) assert.ok(existsSync(d)); // kept with keepWorkdirs
  });

  it('unsupported items (solver metadata or scorer verdict) are recorded as such and left out of the mean', async () => {
    const reg = SCORERS as Record<string, ScoreFn>;
    // i0: the solver cannot attempt it; i1: the scorer cannot score it; the others score as usual.
    reg['test_docker'] = (output, item) => (item.id === 'i1'
      ? { value: 0, pass: false, details: { verdict: 'unsupported', reason: 'environment is a Docker image' } }
      : { value: output === item.target ? 1 : 0, pass: output === item.target });
    SOLVERS['test-docker-solver'] = async (args) => {
      const completion = { text: args.item.reference ?? '', timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 0 }, error: null };
      if (args.item.id === 'i0') return { output: '', completion: { ...completion, text: '' }, metadata: { unsupported: 'needs a Docker engine' } };
      return { output: args.item.id === 'i2' ? 'wrong' : completion.text, completion };
    };
    const pool = new ScoringPool({ workers: 0 });
    const recs: AttemptRecord[] = [];
    try {
      await executeAttempts({
        runId: 'r', suites: [suite(4, { scorer: { name: 'test_docker' } })].map((s) => ({ ...s, config: { ...s.config, solver: 'test-docker-solver' as 'chat' } })),
        providers: [fakeProvider('P')], repeats: 1, limit: null, concurrency: 2, pool, prices: {},
        workRoot: mkdtempSync(join(root, 'w-')), onRecord: (r) => recs.push(r),
      });
    } finally {
      delete reg['test_docker'];
      delete SOLVERS['test-docker-solver'];
      await pool.close();
    }
    recs.sort((x, y) => x.item_id.localeCompare(y.item_id));
    assert.deepEqual(recs.map((r) => r.unsupported ?? null), ['needs a Docker engine', 'environment is a Docker image', null, null]);
    assert.deepEqual(recs.map((r) => r.error), [null, null, null, null]);
    const s = summarizeGroup('mem', 'P', recs);
    assert.deepEqual([s.n, s.n_unsupported, s.n_errors, s.mean], [4, 2, 0, 0.5]); // i2 wrong, i3 right; i0/i1 out
  });

  it('records tries (0 when cached), usage not reported, and the time across tries', async () => {
    const timings = { ttft_ms: 5, tpot_ms: 1, e2e_ms: 20 };
    const p: Provider = {
      id: 'T',
      model: 'deepseek-chat',
      complete: async (req) => {
        if (req.item.id === 'i0') return { text: '0', timings: { ...timings, total_ms: 1300 }, tries: 3, error: null, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
        if (req.item.id === 'i1') return { text: '1', timings, error: null, usage_unknown: true };
        return { text: '2', timings, error: null, cached: true, tries: 2, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
      },
    };
    const pool = new ScoringPool({ workers: 0 });
    const recs: AttemptRecord[] = [];
    try {
      await executeAttempts({
        runId: 'r', suites: [suite(3)], providers: [p], repeats: 1, limit: null, concurrency: 1, pool,
        prices: { 'deepseek-chat': { input: 0.28, output: 0.42 } }, workRoot: mkdtempSync(join(root, 'w-')), onRecord: (r) => recs.push(r),
      });
    } finally {
      await pool.close();
    }
    recs.sort((x, y) => x.item_id.localeCompare(y.item_id));
    assert.deepEqual(recs.map((r) => r.tries), [3, 1, 0]);
    assert.equal(recs[0]!.timings!.total_ms, 1300);
    assert.deepEqual(recs.map((r) => r.usage_unknown ?? false), [false, true, false]);
    assert.deepEqual(recs.map((r) => r.cached ?? false), [false, false, true]);
  });
});
