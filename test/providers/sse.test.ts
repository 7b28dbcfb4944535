import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser, type SseEvent } from '../../src/providers/sse.js';

function feed(pieces: string[]): SseEvent[] {
  const p = new SseParser();
  const out: SseEvent[] = [];
  for (const s of pieces) out.push(...p.push(s));
  out.push(...p.flush());
  return out;
}

test('parses data events separated by blank lines', () => {
  const evs = feed(['data: {"a":1}\n\ndata: [DONE]\n\n']);
  assert.deepEqual(evs.map((e) => e.data), ['{"a":1}', '[DONE]']);
});

test('an event split across arbitrary pieces comes out whole and once', () => {
  const text = 'data: {"choices":[{"delta":{"content":"héllo"}}]}\n\ndata: second\n\n';
  for (let cut = 1; cut < text.length; cut++) {
    const evs = feed([text.slice(0, cut), text.slice(cut)]);
    assert.deepEqual(evs.map((e) => e.data), ['{"choices":[{"delta":{"content":"héllo"}}]}', 'second'], `cut at ${cut}`);
  }
});

test('CRLF and lone CR line endings, including a CR/LF pair split between pieces', () => {
  assert.deepEqual(feed(['data: a\r\n\r\ndata: b\r\r']).map((e) => e.data), ['a', 'b']);
  assert.deepEqual(feed(['data: a\r', '\n\r', '\ndata: b\r\n\r\n']).map((e) => e.data), ['a', 'b']);
});

test('comments are skipped, multi-line data is joined, event and id fields kept', () => {
  const evs = feed([': keep-alive\n\nevent: message\nid: 7\ndata: line1\ndata:line2\n\n']);
  assert.equal(evs.length, 1);
  assert.deepEqual(evs[0], { event: 'message', id: '7', data: 'line1\nline2' });
});

test('a final event without its blank line is dispatched by flush', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('data: tail'), []);
  assert.deepEqual(p.flush().map((e) => e.data), ['tail']);
});

test('only the first space after the colon is stripped', () => {
  assert.deepEqual(feed(['data:   spaced\n\n']).map((e) => e.data), ['  spaced']);
});
