import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { attemptKey, readSamples, SampleWriter, writeResultsCsv } from '../../src/results/store.js';
import type { AttemptRecord } from '../../src/types.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

function rec(item: string, attempt = 0): AttemptRecord {
  return { run_id: 'r', suite: 's', item_id: item, provider: 'p', attempt, input_hash: 'h', output: 'o,"quoted"', score: { value: 1, pass: true }, usage: null, timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 3 }, cost: null, error: null };
}

describe('samples store', () => {
  it('appends whole lines and reads them back', () => {
    const file = join(root, 'a.jsonl');
    const w = new SampleWriter(file);
    w.append(rec('1'));
    w.append(rec('2'));
    w.close();
    w.close(); // idempotent
    assert.deepEqual(readSamples(file).map((r) => r.item_id), ['1', '2']);
    assert.equal(readFileSync(file, 'utf8').split('\n').length, 3);
  });

  it('drops a truncated last line and cuts it off the file on repair', () => {
    const file = join(root, 'b.jsonl');
    const whole = JSON.stringify(rec('1')) + '\n' + JSON.stringify(rec('2')) + '\n';
    writeFileSync(file, whole + JSON.stringify(rec('3')).slice(0, 25));
    assert.deepEqual(readSamples(file).map((r) => r.item_id), ['1', '2']);
    readSamples(file, { repair: true });
    assert.equal(readFileSync(file, 'utf8'), whole);
    const w = new SampleWriter(file);
    w.append(rec('3'));
    w.close();
    assert.deepEqual(readSamples(file).map((r) => r.item_id), ['1', '2', '3']);
  });

  it('a whole last record without its newline is kept and the line finished', () => {
    const file = join(root, 'c.jsonl');
    writeFileSync(file, JSON.stringify(rec('1')));
    assert.equal(readSamples(file, { repair: true }).length, 1);
    assert.ok(readFileSync(file, 'utf8').endsWith('}\n'));
  });

  it('first record of a key wins; a bad line mid-file is an error', () => {
    const file = join(root, 'd.jsonl');
    writeFileSync(file, [JSON.stringify(rec('1')), JSON.stringify({ ...rec('1'), output: 'dup' }), ''].join('\n'));
    const got = readSamples(file);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.output, 'o,"quoted"');
    writeFileSync(file, `{bad\n${JSON.stringify(rec('1'))}\n`);
    assert.throws(() => readSamples(file), (e: Error & { line?: number }) => e.line === 1);
    assert.deepEqual(readSamples(join(root, 'missing.jsonl')), []);
  });

  it('attempt keys separate suite, item, provider and attempt', () => {
    assert.notEqual(attemptKey(rec('1', 0)), attemptKey(rec('1', 1)));
    assert.notEqual(attemptKey({ suite: 'a', item_id: 'b\u0000c', provider: 'p', attempt: 0 }), attemptKey({ suite: 'a\u0000b', item_id: 'c', provider: 'p', attempt: 0 }));
  });

  it('results.csv: header and one quoted row per attempt', () => {
    writeResultsCsv(root, [rec('1'), { ...rec('2'), error: 'x', score: { value: 0, pass: false } }]);
    const lines = readFileSync(join(root, 'results.csv'), 'utf8').trim().split('\n');
    assert.equal(lines[0], 'run_id,suite,item_id,provider,attempt,value,pass,error,prompt_tokens,completion_tokens,reasoning_tokens,ttft_ms,tpot_ms,e2e_ms,cost,cached,tries,total_ms,usage_unknown,unsupported');
    assert.equal(lines[1], 'r,s,1,p,0,1,true,,,,,,,3,,false,,3,false,');
    assert.equal(lines[2], 'r,s,2,p,0,0,false,x,,,,,,3,,false,,3,false,');
    // Tries and the time across them; usage not reported; why an attempt could not run.
    writeResultsCsv(root, [{ ...rec('3'), tries: 3, timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 3, total_ms: 1203 }, usage_unknown: true, unsupported: 'needs Docker' }]);
    assert.equal(readFileSync(join(root, 'results.csv'), 'utf8').trim().split('\n')[1], 'r,s,3,p,0,1,true,,,,,,,3,,false,3,1203,true,needs Docker');
  });
});
