import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { generate, toModelMessages } from '../../src/model/generate.js';
import { encodeChat } from '../../src/model/tokens.js';
import { fakeModel } from '../helpers/fake-native-model.js';

const chat = (text: string) => [{ role: 'user' as const, content: text }];

describe('generate (fake model)', () => {
  it('greedy reply to <|eos|>, usage and timings', () => {
    const m = fakeModel();
    const deltas: string[] = [];
    const c = generate(m, 4096, { messages: chat('hello') }, { attention: 'sparse', topk: 8, threads: 1 }, { onDelta: (d) => deltas.push(d) });
    assert.equal(c.error, null);
    assert.equal(c.text, 'echo: hello');
    assert.equal(c.finish_reason, 'stop');
    assert.equal(deltas.join(''), 'echo: hello');
    assert.equal(deltas.length, 'echo: hello'.length);
    const p = encodeChat(chat('hello')).length;
    assert.deepEqual(c.usage, { prompt_tokens: p, completion_tokens: 12, total_tokens: p + 12 }); // 11 bytes + <|eos|>
    assert.equal(c.timings.itl_ms!.length, 11);
    assert.ok(c.timings.ttft_ms! >= 0 && c.timings.e2e_ms >= c.timings.ttft_ms!);
    assert.ok(c.timings.tpot_ms !== null);
    assert.deepEqual(m.sessions[0], { maxLength: p + 511, attention: 'sparse', threads: 1, topk: 8 });
    // Prefill once, then one token per step (the last sampled token is not fed back).
    assert.equal(m.forwarded, p + 11);
  });

  it('max_tokens ends with finish_reason length; stop sequences with stop', () => {
    const m = fakeModel(() => 'abcdefgh');
    const c = generate(m, 4096, { messages: chat('x'), max_tokens: 3 }, { attention: 'dense' });
    assert.deepEqual([c.text, c.finish_reason, c.usage?.completion_tokens], ['abc', 'length', 3]);
    const s = generate(m, 4096, { messages: chat('x'), stop: ['ef', 'zz'] }, { attention: 'dense' });
    assert.deepEqual([s.text, s.finish_reason, s.usage?.completion_tokens], ['abcd', 'stop', 6]);
  });

  it('never runs past the context: the reply is cut at the last position', () => {
    const m = fakeModel(() => 'x'.repeat(100));
    const p = encodeChat(chat('hi')).length;
    const c = generate(m, p + 5, { messages: chat('hi'), max_tokens: 50 }, { attention: 'dense' });
    assert.equal(c.error, null);
    assert.deepEqual([c.text, c.finish_reason], ['xxxxx', 'length']);
  });

  it('a prompt longer than the context is a failed attempt value', () => {
    const m = fakeModel();
    const c = generate(m, 16, { messages: chat('a long prompt that does not fit') }, { attention: 'sparse' });
    assert.match(c.error!, /prompt is \d+ tokens but the model's context is 16 tokens/);
    assert.equal(c.text, '');
    assert.ok(c.usage!.prompt_tokens > 16);
    assert.equal(m.sessions.length, 0);
  });

  it('bad settings, native failures and cancellation are error values', () => {
    const m = fakeModel();
    assert.match(generate(m, 4096, { messages: chat('x'), top_p: 2 }, { attention: 'dense' }).error!, /top_p/);
    assert.match(generate(m, 4096, { messages: [] }, { attention: 'dense' }).error!, /messages/);
    const broken = { session: () => { throw new Error('boom'); } };
    assert.match(generate(broken, 4096, { messages: chat('x') }, { attention: 'dense' }).error!, /native model failed: boom/);
    let n = 0;
    const c = generate(m, 4096, { messages: chat('long reply') }, { attention: 'dense' }, { cancelled: () => ++n > 2 });
    assert.equal(c.error, 'aborted');
  });

  it('temperature sampling is seeded', () => {
    const m = fakeModel(() => 'abcabcabcabc', { peak: 1 });
    const run = (seed: number) => generate(m, 4096, { messages: chat('x'), temperature: 1, seed, max_tokens: 40 }, { attention: 'dense' }).text;
    assert.equal(run(5), run(5));
    assert.notEqual(run(5), run(6));
  });

  it('maps dsabench messages (tool → user, null content → empty)', () => {
    assert.deepEqual(toModelMessages([{ role: 'system', content: 's' }, { role: 'tool', content: null }]), [
      { role: 'system', content: 's' },
      { role: 'user', content: '' },
    ]);
  });
});
