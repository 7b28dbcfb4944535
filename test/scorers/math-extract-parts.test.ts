import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerSection, dropTrailingChatter, lastNumber, looksTruncated, prepareText } from '../../src/scorers/math/prose.js';
import { cleanCandidate, firstSentence, lastLineBold, wordNumber } from '../../src/scorers/math/candidate.js';
import { isBlankAnswer, lastBoxed } from '../../src/scorers/math/boxed.js';
import { parseMatrix } from '../../src/scorers/math/matrix.js';
import { stripTextUnit, stripUnitWords } from '../../src/scorers/math/units.js';
import { unicodeToLatex } from '../../src/scorers/math/unicode.js';
import { extractFlexible, extractStrict, isEquivalent, normalizeAnswer } from '../../src/scorers/math/index.js';

test('unicode: minus signs are signs, math symbols become LaTeX, an en dash in a range stays', () => {
  assert.equal(unicodeToLatex('−3'), '-3');
  assert.equal(unicodeToLatex('x = –4'), 'x = -4');
  assert.equal(unicodeToLatex('pages 4–16'), 'pages 4–16');
  assert.equal(unicodeToLatex('2π'), '2\\pi ');
  assert.equal(unicodeToLatex('√12'), '\\sqrt{12}');
  assert.equal(unicodeToLatex('5 cm²'), '5 cm^2');
  assert.equal(normalizeAnswer('(−∞, 2)').s, '(-\\infty,2)');
});

test('boxes: the last non-empty one; blank boxes skipped', () => {
  assert.equal(lastBoxed('\\boxed{3} then \\boxed{4} and \\boxed{}'), '4');
  assert.equal(lastBoxed('\\boxed{\\quad} \\boxed{ }'), null);
  assert.equal(isBlankAnswer('\\, ~ \\quad'), true);
  assert.equal(isBlankAnswer('0'), false);
});

test('prose: thinking blocks, chatter, truncation, last number', () => {
  assert.equal(answerSection('<think>maybe 12</think>\nIt is 13.'), '\nIt is 13.');
  assert.equal(answerSection('<think>still thinking about 56'), '');
  assert.equal(answerSection('no block 5'), 'no block 5');
  assert.equal(dropTrailingChatter('He has 260 sheep. Let me know if you have 2 more questions.'), 'He has 260 sheep. ');
  assert.equal(dropTrailingChatter('36 cookies.\n\n---\n\n*Note: this assumes all 4 get a share.*').trim(), '36 cookies.');
  assert.equal(dropTrailingChatter('It is 14.\n\n*(Assuming none of the 5 return.)*').trim(), 'It is 14.');
  // a closing remark that restates the answer stays
  assert.equal(dropTrailingChatter('So 5. I hope the answer 5 is clear.'), 'So 5. I hope the answer 5 is clear.');
  assert.equal(looksTruncated('so she makes 18 dollars. Next we subtract the'), true);
  assert.equal(looksTruncated('the total distance is 5 *'), true);
  assert.equal(looksTruncated('She has **42**'), false);
  assert.equal(looksTruncated('She has 42 marbles.'), false);
  assert.equal(lastNumber('The area is 36 cm^2.'), '36');
  assert.equal(lastNumber('10^{3} grams'), '10');
  assert.equal(lastNumber('pay $1,250 then 3.5'), '3.5');
  assert.equal(prepareText('1{,}000 and 2,\\!500 and 3\\,000'), '1,000 and 2,500 and 3,000');
});

test('candidates: first sentence, clauses, spans, spelled numbers, prose around a number', () => {
  assert.equal(firstSentence('$9$. I hope it is correct.'), '$9$');
  assert.equal(firstSentence('2.5 hours. Then'), '2.5 hours');
  assert.equal(firstSentence('$x = 1. 5$ ok'), '$x = 1. 5$ ok');
  assert.equal(cleanCandidate('72, since she sold 48 in April.'), '72');
  assert.equal(cleanCandidate('48 (since 6 × 8 = 48).'), '48');
  assert.equal(cleanCandidate('$x = 2$ or $x = 3$.'), 'x = 2, x = 3');
  assert.equal(cleanCandidate('$\\$18.90$. I hope it is correct.'), '\\$18.90');
  assert.equal(cleanCandidate('**150**.'), '150');
  assert.equal(cleanCandidate('twelve.'), '12');
  assert.equal(cleanCandidate('that she has 5 apples left.'), '5');
  assert.equal(cleanCandidate('either 12 or 14.'), '12 or 14');
  assert.equal(cleanCandidate('(C).'), '(C)');
  assert.equal(cleanCandidate('Monday.'), 'Monday');
  assert.equal(cleanCandidate('\\boxed{}.'), '');
  assert.equal(cleanCandidate('as follows in the steps below'), '');
  assert.equal(wordNumber('three hundred and six'), '306');
  assert.equal(wordNumber('twenty-five'), '25');
  assert.equal(wordNumber('apple'), null);
  assert.equal(lastLineBold('**Step 1:** 4 + 5 = 9\n**Total: 6 + 24 = 30 dollars**'), '30 dollars');
  assert.equal(lastLineBold('**Step 2:** 30 + 30 = 60.'), null);
});

test('extraction order: box, then the last cue, then bold on the last line, then the last number', () => {
  assert.deepEqual(extractFlexible('The answer is 36.\nWait: 36 * 4 = 144. The answer is 144.'), { answer: '144', method: 'answer_is' });
  assert.deepEqual(extractFlexible('Final Answer: The final answer is $9$. I hope it is correct.'), { answer: '9', method: 'final_answer' });
  assert.deepEqual(extractFlexible('60 = 2^2 * 3 * 5\n\n# Answer\n\n12'), { answer: '12', method: 'answer_heading' });
  assert.deepEqual(extractFlexible('16 - 7 = 9 eggs\nA: 18'), { answer: '18', method: 'answer_colon' });
  assert.deepEqual(extractFlexible('So the garden needs **24** bags. At $3 each that is 24 * 3 = $72.'), { answer: '24', method: 'bold' });
  assert.equal(extractFlexible('so 9 * 2 = 18. Next we subtract the'), null);
  assert.equal(extractFlexible('<think>7 * 8 = 56'), null);
  assert.equal(extractStrict('<think>\\boxed{12}</think> It is \\boxed{13}.'), '13');
  // a remark after a cue is not a word answer: the fallbacks still run
  assert.deepEqual(extractFlexible('At first the answer is unclear. So 5 + 7 = 12.'), { answer: '12', method: 'last_number' });
});

test('pathological answers are scored, not thrown: thousands of nested braces', async () => {
  const deep = `\\boxed{${'{'.repeat(5000)}1${'}'.repeat(5000)}}`;
  assert.equal(typeof (await isEquivalent(lastBoxed(deep)!, '1')).equivalent, 'boolean');
});

test('units: text-command units with powers, unit words, never a bare power', () => {
  assert.equal(stripTextUnit('5\\mbox{ cm}^2'), '5');
  assert.equal(stripTextUnit('24 \\mathrm{ cm}^{2}'), '24');
  assert.equal(stripTextUnit('6\\sqrt{3}\\text{ m}^3'), '6\\sqrt{3}');
  assert.equal(stripTextUnit('\\text{Monday}'), '\\text{Monday}');
  assert.equal(stripTextUnit('2\\text{ or }3'), '2\\text{ or }3');
  assert.equal(stripUnitWords('36 cm^2'), '36');
  assert.equal(stripUnitWords('624 pages per year'), '624');
  assert.equal(stripUnitWords('5 x^2'), '5 x^2');
  assert.equal(normalizeAnswer('5^2').s, '5^2');
});

test('matrices: environments, spacing rows, trailing separators, determinants apart', () => {
  assert.deepEqual(parseMatrix('\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}'), { kind: 'matrix', rows: [['1', '2'], ['3', '4']] });
  assert.deepEqual(parseMatrix('\\left(\\begin{matrix}1\\\\2\\\\\\end{matrix}\\right)'), { kind: 'matrix', rows: [['1'], ['2']] });
  assert.deepEqual(parseMatrix('\\begin{array}{cc} a & b \\\\[2pt] c & d \\end{array}'), { kind: 'matrix', rows: [['a', 'b'], ['c', 'd']] });
  assert.equal(parseMatrix('\\begin{vmatrix} 1 & 2 \\\\ 3 & 4 \\end{vmatrix}')?.kind, 'det');
  assert.equal(parseMatrix('\\begin{pmatrix} 1 & 2 \\\\ 3 \\end{pmatrix}'), null);
  assert.equal(parseMatrix('(1, 2)'), null);
});
