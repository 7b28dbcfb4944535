import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { generate, toModelMessages, type GenerativeModel } from '../../src/model/generate.js';
import { chatTokenCount, encodeChat, type ChatMessage } from '../../src/model/tokens.js';
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

  it('closes every session it opens, however the generation ends', () => {
    const m = fakeModel(() => 'abcdefgh');
    generate(m, 4096, { messages: chat('x') }, { attention: 'dense' }); // <|eos|>
    generate(m, 4096, { messages: chat('x'), max_tokens: 3 }, { attention: 'dense' }); // length
    generate(m, 4096, { messages: chat('x'), stop: ['cd'] }, { attention: 'dense' }); // stop
    let n = 0;
    assert.equal(generate(m, 4096, { messages: chat('x') }, { attention: 'dense' }, { cancelled: () => ++n > 2 }).error, 'aborted');
    const failing = fakeModel(() => 'x'.repeat(50));
    // A native failure in the middle of the decode loop.
    const flaky: GenerativeModel = {
      session: (o) => {
        const s = failing.session(o);
        let forwards = 0;
        return {
          get length() { return s.length; },
          truncate: (k) => s.truncate(k),
          close: () => s.close(),
          forward: (t) => {
            if (++forwards > 3) throw new Error('boom');
            return s.forward(t);
          },
        };
      },
    };
    assert.match(generate(flaky, 4096, { messages: chat('x') }, { attention: 'dense' }).error!, /boom/);
    assert.equal(m.sessions.length, 4);
    assert.equal(m.closed, 4);
    assert.equal(failing.closed, 1);
  });

  it('a 2 MB prompt is refused against the context (no stack overflow from its bytes)', () => {
    const m = fakeModel();
    const big = 'y'.repeat(2 * 1024 * 1024);
    const c = generate(m, 4096, { messages: chat(big) }, { attention: 'sparse' });
    assert.match(c.error!, /^prompt is 2097155 tokens but the model's context is 4096 tokens/);
    assert.equal(m.sessions.length, 0);
    const ids = encodeChat([{ role: 'system', content: big }, { role: 'user', content: 'q' }]);
    assert.equal(ids.length, 2 * 1024 * 1024 + 6);
  });

  it('chatTokenCount is encodeChat(messages).length', () => {
    const cases: ChatMessage[][] = [
      [],
      [{ role: 'user', content: 'héllo' }],
      [{ role: 'system', content: 's1' }, { role: 'system', content: '' }, { role: 'system', content: 's3' }, { role: 'user', content: 'u' }],
      [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b€' }],
      [{ role: 'assistant', content: '' }],
      [{ role: 'system', content: 'only system' }],
      [{ role: 'user', content: '' }, { role: 'assistant', content: 'x' }, { role: 'system', content: '🙂' }],
    ];
    for (const msgs of cases) assert.equal(chatTokenCount(msgs), encodeChat(msgs).length, JSON.stringify(msgs));
  });

  it('maps dsabench messages (tool → user, null content → empty)', () => {
    assert.deepEqual(toModelMessages([{ role: 'system', content: 's' }, { role: 'tool', content: null }]), [
      { role: 'system', content: 's' },
      { role: 'user', content: '' },
    ]);
  });
});
