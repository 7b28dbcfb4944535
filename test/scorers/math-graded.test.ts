import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agreement, gradeAll, LISTED_CASES, loadGraded, type GradedResult } from '../helpers/math-graded.js';
import { extractFlexible, isEquivalent, mathScorer } from '../../src/scorers/math/index.js';
import type { Item } from '../../src/types.js';

const records = loadGraded();
const results = gradeAll(records);

function describe(r: GradedResult): string {
  return `${r.record.id}: human ${r.record.human}, scorer ${r.scorer}, extracted ${JSON.stringify(r.extracted)} (${r.record.note})`;
}

test('graded fixture: at least 150 records, unique ids, both splits and both verdicts', () => {
  assert.ok(records.length >= 150, `${records.length} records`);
  assert.equal(new Set(records.map((r) => r.id)).size, records.length, 'duplicate ids');
  for (const split of ['tune', 'heldout'] as const) {
    const part = records.filter((r) => r.split === split);
    assert.ok(part.some((r) => r.human) && part.some((r) => !r.human), `${split} has both verdicts`);
  }
  assert.ok(records.filter((r) => r.split === 'heldout').length >= 100);
  for (const style of ['gsm8k', 'math'] as const) assert.ok(records.filter((r) => r.style === style).length >= 50, style);
});

test('agreement with the human verdicts is at least 95% on the held-out split', async (t) => {
  const all = await results;
  const held = agreement(all.filter((r) => r.record.split === 'heldout'));
  const tune = agreement(all.filter((r) => r.record.split === 'tune'));
  t.diagnostic(`held-out ${held.agree}/${held.n} = ${(100 * held.rate).toFixed(1)}%; tune ${tune.agree}/${tune.n}`);
  assert.ok(held.rate >= 0.95, `held-out agreement ${held.rate}:\n${held.disagreements.map(describe).join('\n')}`);
});

test('each listed case has right and wrong answers in the fixture, and every one is graded as the human did', async () => {
  const all = await results;
  for (const c of LISTED_CASES) {
    const rows = all.filter((r) => r.record.cases.includes(c));
    assert.ok(rows.some((r) => r.record.human) && rows.some((r) => !r.record.human), `${c}: needs a right and a wrong answer`);
    const wrong = rows.filter((r) => r.scorer !== r.record.human);
    assert.deepEqual(wrong.map(describe), [], `${c}`);
  }
});

const item = (target: string): Item => ({ id: 'q', input: {}, target });
const pass = async (output: string, target: string): Promise<boolean> => (await mathScorer(output, item(target), {}, {})).pass;

test('the listed cases, one assertion each', async () => {
  // \mbox units with powers, and a genuine power that is not a unit
  assert.equal(await pass('$\\boxed{5\\mbox{ cm}^2}$', '5'), true);
  assert.equal(await pass('$\\boxed{24 \\mathrm{~cm}^{2}}$', '24'), true);
  assert.equal(await pass('$\\boxed{5^2}$', '5'), false);
  // matrices entry by entry
  assert.equal((await isEquivalent('\\begin{bmatrix} 0.5 & 1 \\\\ -1 & 2 \\end{bmatrix}', '\\begin{pmatrix} \\frac12 & 1 \\\\ -1 & 2 \\end{pmatrix}')).equivalent, true);
  assert.equal((await isEquivalent('\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}', '\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}')).equivalent, false);
  // {,} thousands separators on either side
  assert.equal(await pass('$\\boxed{10{,}000}$', '10000'), true);
  assert.equal(await pass('$\\boxed{10000}$', '10{,}000'), true);
  // "The answer is" cues
  assert.deepEqual(extractFlexible('So 9 * 2 = 18. The answer is 18. Check: 18 / 2 = 9.'), { answer: '18', method: 'answer_is' });
  // trailing chatter: 260, not the 2 of the chatter
  assert.equal(extractFlexible('So he has 200 + 60 = 260 sheep. Let me know if you have 2 more questions.')?.answer, '260');
  // Markdown bold
  assert.equal(extractFlexible('**42**')?.answer, '42');
  assert.equal(extractFlexible('Her savings are **$1,250**. That is $250 more than last year.')?.answer, '1,250');
  // Unicode minus is a sign
  assert.equal(await pass('$\\boxed{−3}$', '-3'), true);
  assert.equal(await pass('$\\boxed{−3}$', '3'), false);
  // an empty trailing \boxed{}: the last non-empty one counts
  assert.equal(extractFlexible('so $\\boxed{12}$.\n\nFinal answer: $\\boxed{}$')?.answer, '12');
});
