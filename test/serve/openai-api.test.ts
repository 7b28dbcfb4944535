import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { generationError, parseChatRequest, type ApiError, type ParsedChatRequest } from '../../src/serve/openai-api.js';

const models = ['dsa-mini', 'native:dsa-mini'];
const ok = (body: Record<string, unknown>): ParsedChatRequest => {
  const r = parseChatRequest({ model: 'dsa-mini', messages: [{ role: 'user', content: 'hi' }], ...body }, models);
  assert.ok(!('status' in r), JSON.stringify(r));
  return r;
};
const bad = (body: unknown): ApiError => {
  const r = parseChatRequest(body, models);
  assert.ok('status' in r, JSON.stringify(body));
  return r;
};

describe('chat request validation', () => {
  it('maps fields and roles', () => {
    const r = parseChatRequest({
      model: 'native:dsa-mini',
      messages: [
        { role: 'developer', content: 'sys' },
        { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'assistant', content: null },
        { role: 'tool', content: 'result', tool_call_id: 'x' },
      ],
      temperature: 0.5, top_p: 0.9, max_completion_tokens: 7, stop: 'END', seed: 42, stream: true, stream_options: { include_usage: true }, user: 'ignored',
    }, models) as ParsedChatRequest;
    assert.deepEqual(r.request, {
      messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'ab' }, { role: 'assistant', content: '' }, { role: 'user', content: 'result' }],
      temperature: 0.5, top_p: 0.9, max_tokens: 7, stop: ['END'], seed: 42,
    });
    assert.deepEqual([r.model, r.stream, r.includeUsage], ['native:dsa-mini', true, true]);
    assert.deepEqual(ok({}).stream, false);
  });

  it('every bad field is a 400 naming it', () => {
    const base = { model: 'dsa-mini', messages: [{ role: 'user', content: 'hi' }] };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ temperature: -1 }, 'temperature'],
      [{ temperature: 'hot' }, 'temperature'],
      [{ top_p: 0 }, 'top_p'],
      [{ max_tokens: 0 }, 'max_tokens'],
      [{ max_tokens: 1.5 }, 'max_tokens'],
      [{ stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
      [{ stop: [1] }, 'stop'],
      [{ seed: 'x' }, 'seed'],
      [{ stream: 'yes' }, 'stream'],
      [{ stream_options: { include_usage: 1 } }, 'stream_options.include_usage'],
      [{ n: 2 }, 'n'],
      [{ tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }, 'tools'],
      [{ messages: [] }, 'messages'],
      [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
      [{ messages: [{ role: 'user', content: [{ type: 'image_url' }] }] }, 'messages[0].content[0]'],
      [{ messages: [{ role: 'user', content: 5 }] }, 'messages[0].content'],
      [{ model: 5 }, 'model'],
    ];
    for (const [patch, param] of cases) {
      const e = bad({ ...base, ...patch });
      assert.equal(e.status, 400, param);
      assert.equal(e.param, param);
      assert.equal(e.type, 'invalid_request_error');
    }
    assert.equal(bad([1]).status, 400);
    const nf = bad({ ...base, model: 'gpt-4' });
    assert.deepEqual([nf.status, nf.code, nf.param], [404, 'model_not_found', 'model']);
  });

  it('a prompt past the context is a 400 context_length_exceeded; other failures 500', () => {
    const e = generationError({ text: '', timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 0 }, error: "prompt is 5000 tokens but the model's context is 4096 tokens (max_position_embeddings); shorten the prompt" });
    assert.deepEqual([e.status, e.code, e.param], [400, 'context_length_exceeded', 'messages']);
    assert.equal(generationError({ text: '', timings: { ttft_ms: null, tpot_ms: null, e2e_ms: 0 }, error: 'native model failed: x' }).status, 500);
  });
});
