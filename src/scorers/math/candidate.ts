/**
 * From the prose after an answer cue ("The answer is …", "Answer: …", a bold span) to the
 * answer itself: the first sentence only ("$9$. I hope it is correct."), without a
 * justification clause (", since …"), math delimiters, Markdown emphasis or a filler word
 * ("either", "that"); a spelled-out number becomes digits; a sentence of prose around one
 * number ("She earns $18 per day") gives that number.
 */
import { isBlankAnswer, lastBoxed } from './boxed.js';
import { lastNumber } from './prose.js';

/** The text up to the end of its first sentence or line, never cutting inside `$…$` or `\(…\)`. */
export function firstSentence(s: string): string {
  let inDollar = false;
  let inParen = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && (s[i + 1] === '(' || s[i + 1] === '[')) inParen = true;
    else if (ch === '\\' && (s[i + 1] === ')' || s[i + 1] === ']')) inParen = false;
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '$') inDollar = !inDollar;
    if (inDollar || inParen) continue;
    if (ch === '\n') return s.slice(0, i);
    // `2.5` has no space after its point; `18. I hope` and `18!` end a sentence
    if ((ch === '.' || ch === '!' || ch === '?' || ch === ';') && (i + 1 >= s.length || /\s/.test(s[i + 1]!))) return s.slice(0, i);
  }
  return s;
}

/** Cut a justification clause: "72, since she sold…", "5 apples, not 6", "x because…". */
function dropClause(s: string): string {
  const m = /(?:,\s*(?:since|because|as|which|so|given|but|not|where|thus|hence)|\s+(?:since|because))\b/i.exec(s);
  if (!m) return s;
  // never inside math
  const before = s.slice(0, m.index);
  if ((before.match(/(?<!\\)\$/g) ?? []).length % 2 === 1) return s;
  return before;
}

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
  'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** "twelve", "twenty-five", "three hundred and six", "two thousand" → digits; anything else → null. */
export function wordNumber(s: string): string | null {
  const words = s.toLowerCase().replace(/-/g, ' ').split(/\s+/).filter((w) => w !== '' && w !== 'and');
  if (words.length === 0) return null;
  let total = 0;
  let group = 0;
  for (const w of words) {
    const one = ONES.indexOf(w);
    const ten = TENS.indexOf(w);
    if (one >= 0) group += one;
    else if (ten >= 2) group += ten * 10;
    else if (w === 'hundred') group = (group || 1) * 100;
    else if (w === 'thousand' || w === 'million') {
      total += (group || 1) * (w === 'thousand' ? 1000 : 1_000_000);
      group = 0;
    } else return null;
  }
  return String(total + group);
}

// leading words that carry no answer
const FILLER = /^(?:(?:either|that|about|approximately|approx\.?|around|roughly|exactly|just|only|equal to|then|therefore|thus|so|:)\s*)+/i;

// `$…$` (an escaped `\$` inside stays), `$$…$$`, `\(…\)`, `\[…\]`
const MATH_SPAN = /\$\$([\s\S]+?)\$\$|(?<!\\)\$((?:\\\$|[^$])+?)(?<!\\)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;

/** The answer in the text after a cue, or '' when there is none. */
export function cleanCandidate(text: string): string {
  let t = firstSentence(text.trim()).trim();
  const boxed = lastBoxed(t);
  if (boxed !== null) return boxed;
  t = t.replace(/\\(?:boxed|fbox)\s*\{[^{}]*\}/g, (m) => (isBlankAnswer(m.replace(/^\\(?:boxed|fbox)\s*\{|\}$/g, '')) ? '' : m));
  t = dropClause(t).replace(/\*\*|__/g, '').replace(/^[*_]+|[*_]+$/g, '').trim();
  // an aside in parentheses after the answer: "48 (since 6 × 8 = 48)", "18 (dollars)"
  t = t.replace(/(\S)\s*\((?=[^()]*[A-Za-z]{3,})[^()]*\)[.!]?$/, '$1').trim();
  t = t.replace(FILLER, '').trim();
  let spans = [...t.matchAll(MATH_SPAN)].map((m) => (m[1] ?? m[2] ?? m[3] ?? m[4]!).trim());
  // "$18 and pays $5": dollar amounts, not a math span
  if (spans.some((x) => /\s[A-Za-z]{3,}\s/.test(x) && !/\\/.test(x))) spans = [];
  if (spans.length > 0) {
    const outside = t.replace(MATH_SPAN, ' ');
    // `$x = 2$ or $x = 3$` is one answer with two parts
    if (/^[\s,;:.]*(?:(?:or|and)[\s,;:.]*)*$/i.test(outside)) return spans.join(', ');
    // "$5$ dollars": the leading span; "she has $5$ apples": the last one
    t = /^(?:\$|\\\(|\\\[)/.test(t) ? spans[0]! : spans[spans.length - 1]!;
  }
  t = t.replace(/(?<!\\)\$/g, '').replace(/[.。;,]+$/, '').trim();
  if (t === '') return '';
  const spelled = spelledNumber(t);
  if (spelled !== null) return spelled;
  // a computation "6 + 24 = 30 dollars" answers with its result
  const parts = t.split('=');
  const lhs = parts[0]!.replace(/\\(?:times|cdot|div)|\\frac\{\d+\}\{\d+\}/g, '*');
  if (parts.length >= 2 && /\d/.test(lhs) && /^[\d\s.,+\-*/()]+$/.test(lhs)) t = parts[parts.length - 1]!.trim();
  // prose: a sentence around a number gives the number
  if (isProse(t)) return lastNumber(t) ?? '';
  // a one-word answer ("Monday", "even") but not a remark ("The answer is unclear")
  if (/^[A-Za-z]+$/.test(t) && NOT_ANSWERS.has(t.toLowerCase())) return '';
  return t;
}

const NOT_ANSWERS = new Set(['not', 'unclear', 'clear', 'simple', 'obvious', 'below', 'above', 'follows', 'following',
  'given', 'shown', 'straightforward', 'easy', 'hard', 'tricky', 'wrong', 'correct', 'right', 'incorrect', 'unknown',
  'that', 'this', 'the', 'it', 'here', 'there', 'now', 'then']);

/** A spelled-out number, optionally followed by up to three words ("twelve cupcakes"). */
function spelledNumber(t: string): string | null {
  if (!/^[A-Za-z][A-Za-z\s-]*$/.test(t)) return null;
  const words = t.split(/\s+/);
  for (let k = words.length; k >= 1 && words.length - k <= 3; k--) {
    const n = wordNumber(words.slice(0, k).join(' '));
    if (n !== null) return n;
  }
  return null;
}

/** Words, not math: a word of 2+ letters, a space, another word ("She earns 18", not "xy+2"). */
function isProse(t: string): boolean {
  return /^[A-Za-z]{2,}\b/.test(t) && /\s[A-Za-z]{2,}\b/.test(t);
}

/**
 * The answer in a bold span on the last line that holds a number ("She has **42** marbles
 * left.", "**Total: 6 + 24 = 30 dollars**"); labels ("**Step 2:**") are not answers. Bold
 * spans on earlier lines are usually intermediate results, so they are not considered.
 */
export function lastLineBold(text: string): string | null {
  const line = text.split('\n').filter((l) => /\d/.test(l)).at(-1);
  if (line === undefined) return null;
  const spans = [...line.matchAll(/\*\*([^*\n]+?)\*\*|__([^_\n]+?)__/g)]
    .map((m) => (m[1] ?? m[2]!).trim())
    .filter((c) => /\d/.test(c) && !/[:：]$/.test(c) && !/^(?:step|part|case)\s*\d/i.test(c));
  const last = spans.at(-1);
  if (last === undefined) return null;
  const answer = cleanCandidate(last.replace(/^[A-Za-z][A-Za-z ]{0,30}[:：]\s*/, ''));
  return answer === '' ? null : answer;
}
