import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { chatSolver } from '../../src/solvers/chat.js';
import { getSolver, SOLVERS } from '../../src/solvers/index.js';
import { renderMessages, renderTemplate, templateVariables } from '../../src/solvers/template.js';
import type { Completion, CompletionRequest, Provider, Suite } from '../../src/types.js';

describe('prompt templates', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['What is {a} + {b}?', { a: 1, b: 2 }, 'What is 1 + 2?'],
    ['{q}', { q: 'line1\nline2' }, 'line1\nline2'],
    ['\\boxed{{}} and {{x}}', {}, '\\boxed{} and {x}'],
    ['{obj}', { obj: { k: [1, 2] } }, '{"k":[1,2]}'],
    ['{1, 2} stays, { a } stays', {}, '{1, 2} stays, { a } stays'],
    ['{missing}!', {}, '!'],
    ['{a}{a}', { a: 'x' }, 'xx'],
  ];
  for (const [tpl, vars, want] of cases) {
    it(`renders ${JSON.stringify(tpl)}`, () => assert.equal(renderTemplate(tpl, vars), want));
  }

  it('lists variables once, in order, ignoring escaped braces', () => {
    assert.deepEqual(templateVariables('{b} {a} {{c}} {b} {_d1}'), ['b', 'a', '_d1']);
  });

  it('renders the system prompt first', () => {
    const msgs = renderMessages({ prompt: { template: 'Q: {q}', system: 'Be brief about {q}.' } }, { id: '1', input: { q: 'x' }, target: 'y' });
    assert.deepEqual(msgs, [
      { role: 'system', content: 'Be brief about x.' },
      { role: 'user', content: 'Q: x' },
    ]);
  });
});

describe('chat solver', () => {
  it('passes messages, settings, attempt and suite name to the provider and returns its text', async () => {
    const seen: CompletionRequest[] = [];
    const completion: Completion = { text: 'answer', timings: { ttft_ms: 1, tpot_ms: null, e2e_ms: 2 }, error: null };
    const provider: Provider = { id: 'p', model: 'm', complete: (req) => (seen.push(req), Promise.resolve(completion)) };
    const item = { id: '1', input: {}, target: 't' };
    const suite: Suite = { spec: 's', items: [item], config: { name: 'suite-a', kind: 'math', scorer: { name: 'exact_match' }, prompt: { template: 'x' } } };
    const messages = [{ role: 'user' as const, content: 'x' }];
    const res = await chatSolver({ suite, item, provider, messages, settings: { temperature: 0 }, attempt: 3, workDir: '/tmp' });
    assert.equal(res.output, 'answer');
    assert.equal(res.completion, completion);
    assert.equal(seen.length, 1);
    assert.deepEqual({ suite: seen[0]!.suite, attempt: seen[0]!.attempt, settings: seen[0]!.settings, messages: seen[0]!.messages }, { suite: 'suite-a', attempt: 3, settings: { temperature: 0 }, messages });
  });

  it('registry: chat by default, unknown names rejected', () => {
    assert.equal(getSolver(undefined), SOLVERS['chat']);
    assert.throws(() => getSolver('telepathy'), /unknown solver "telepathy"/);
  });
});
