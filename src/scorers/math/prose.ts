/**
 * The part of a model's output that can hold its final answer, for the fallbacks that read
 * prose (cues, bold, the last number):
 *
 * - a reasoning model's `<think>…</think>` block is a draft: the answer is what follows it,
 *   and a block that never closes means the output stopped before answering;
 * - closing chatter ("Let me know if you have 2 more questions.") is not part of the answer,
 *   so its numbers must not become the "last number";
 * - an output cut off mid-sentence ("…so she makes 9 * 2 = 18 dollars. Next we subtract the")
 *   states no answer, whatever its last number is.
 */
import { unicodeToLatex } from './unicode.js';

/** Unicode math, LaTeX thousands separators (`1{,}000`, `1,\!000`, `1\,000`) → plain text forms. */
export function prepareText(text: string): string {
  return unicodeToLatex(text)
    .replace(/\{,\}/g, ',')
    .replace(/(\d),\\!\s*(?=\d{3})/g, '$1,')
    .replace(/(\d)\\,(?=\d{3}(?!\d))/g, '$1,');
}

/** The output after its thinking block; '' when a thinking block never closes. */
export function answerSection(text: string): string {
  const close = text.lastIndexOf('</think>');
  if (close >= 0) {
    const after = text.slice(close + '</think>'.length);
    // an answer given only inside the block is still the only answer there is
    return after.trim() === '' ? text.slice(0, close) : after;
  }
  return /<think>/.test(text) ? '' : text;
}

// How closing remarks start (after any emoji, Markdown emphasis or an opening parenthesis).
const CHATTER = new RegExp(
  '^(?:' +
    [
      'let me know', 'i hope', 'hope (?:this|that|it)', 'feel free', 'if you (?:have|need|want|would|\'d|meant|like)',
      '(?:i\'m |i am )?happy to', '(?:i\'m |i am )?glad to', 'good luck', 'is there anything', 'anything else',
      'do you (?:have|need|want)', 'would you like', 'want me to', 'shall i', 'should you', 'please (?:let|feel|ask)',
      'thanks?\\b', 'thank you', 'cheers', 'enjoy', 'note\\b', 'p\\.?s\\b', 'does (?:this|that) (?:make sense|help)',
      'i can (?:also|help|explain)', '(?:any|no) (?:other|more|further) questions',
    ].join('|') +
    ')',
  'i',
);

const DECORATION = /^[\s*_>#(\-–—]*(?:\p{Extended_Pictographic}|\uFE0F)*[\s*_>#(]*/u;

// a parenthesised aside about the problem's assumptions: "(Assuming none of them return.)"
const ASIDE = /^[\s*_]*\(\s*(?:assuming|this assumes|we assume|if\b|note\b)/i;

function isChatter(segment: string): boolean {
  if (ASIDE.test(segment) && !/answer/i.test(segment)) return true;
  const s = segment.replace(DECORATION, '').trim();
  if (s === '') return true; // a blank line, a Markdown rule (`---`), an emoji on its own
  if (/^(?:[-*_=]\s*){3,}$/.test(s)) return true;
  // a remark that restates the answer is not chatter
  if (/answer/i.test(s)) return false;
  return CHATTER.test(s);
}

/** The text without the closing remarks that follow its answer. */
export function dropTrailingChatter(text: string): string {
  // sentence and line boundaries; a decimal point (`2.5`) is not followed by a space
  const starts = [0];
  const boundary = /(?<=[.!?])\s+|\n+/g;
  for (let m = boundary.exec(text); m; m = boundary.exec(text)) starts.push(m.index + m[0].length);
  let end = text.length;
  for (let k = starts.length - 1; k >= 0; k--) {
    const segment = text.slice(starts[k]!, end);
    if (!isChatter(segment)) break;
    end = starts[k]!;
  }
  return text.slice(0, end);
}

// a dangling operator or function word: the output stopped mid-sentence
const DANGLING = /(?:[=+\-*/×(,:]|\\(?:times|cdot|div|frac)|\b(?:the|a|an|of|to|and|or|so|is|are|was|were|be|by|for|with|then|that|which|we|in|at|from|as|if|but|into|than|this|these|its|their|has|have|gives?|equals?|get|plus|minus|times)\b)\s*$/i;

/** True when the text ends mid-sentence, so its last number is not an answer it gave. */
export function looksTruncated(text: string): boolean {
  // closing Markdown emphasis (`**42**`, `*(…)*`, no space before it) is not a multiplication sign
  return DANGLING.test(text.trim().replace(/(?<=\S)(?:\*\*|__|\*|_)+$/, ''));
}

// never the middle of a longer number or a word ("x2"); never an exponent ("cm^2", "10^{3}")
const NUMBER = /(?<![\w.^]|\^\{)(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?(?:\s*\/\s*\d+)?|-?\.\d+)/g;

/** The last number in the text (thousands separators kept; the equivalence removes them). */
export function lastNumber(text: string): string | null {
  let last: string | null = null;
  const re = new RegExp(NUMBER.source, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) last = m[1]!;
  return last === null ? null : last.replace(/\s+/g, '');
}
