/**
 * Answer extraction from a model's free-form output.
 *
 * strict:   the last balanced `\boxed{…}` / `\fbox{…}` (or `\boxed 5`), nothing else.
 * flexible: strict, then "final answer is …", then `Answer: …`, then `#### …`,
 *           then the last number in the text.
 */

/** Content of the balanced `{…}` group starting at `open` (text[open] === '{'), or null if unbalanced. */
export function balancedGroup(text: string, open: number): { content: string; end: number } | null {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') {
      i++; // skip an escaped char such as \{ or \}
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') {
      depth--;
      if (depth === 0) return { content: text.slice(open + 1, i), end: i + 1 };
    }
  }
  return null;
}

/** The last `\boxed{…}`/`\fbox{…}` with balanced braces (an unbalanced last one falls back to the one before). */
export function lastBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)(?![A-Za-z])/g;
  const starts: number[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index + m[0].length);
  for (let k = starts.length - 1; k >= 0; k--) {
    let i = starts[k]!;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '{') {
      const g = balancedGroup(text, i);
      if (g) return g.content.trim();
      continue;
    }
    // `\boxed 5`: MATH's form without braces runs to the next `$` (or line end).
    if (i > starts[k]!) {
      const rest = text.slice(i).split(/\$|\n/)[0]!.trim();
      if (rest !== '') return rest.replace(/[.。]$/, '').trim();
    }
  }
  return null;
}

/** Strip wrappers that surround an answer written in prose: `$…$`, `\(…\)`, bold, a final period. */
export function cleanCandidate(s: string): string {
  let t = s.trim();
  const boxed = lastBoxed(t);
  if (boxed !== null) return boxed;
  t = t.replace(/^\*+|\*+$/g, '').trim();
  t = t.replace(/^\\\(|\\\)$/g, '').replace(/^\\\[|\\\]$/g, '').trim();
  // A leading `$…$` span is the answer; prose after it ("$5$ dollars.") is dropped.
  const dollar = /^\$+([^$]+)\$+/.exec(t);
  if (dollar) t = dollar[1]!;
  t = t.replace(/\$/g, '').trim();
  t = t.replace(/[.。;]+$/, '').trim();
  return t.replace(/^\*+|\*+$/g, '').trim();
}

function lastMatch(text: string, re: RegExp): string | null {
  let last: string | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) last = m[1] ?? null;
  return last;
}

const NUMBER = /(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?(?:\s*\/\s*\d+)?|-?\.\d+)/g;

/** The last number in the text (thousands separators kept; the equivalence removes them). */
export function lastNumber(text: string): string | null {
  const n = lastMatch(text, new RegExp(NUMBER.source, 'g'));
  return n === null ? null : n.replace(/\s+/g, '');
}

export type ExtractionMethod = 'boxed' | 'final_answer' | 'answer_colon' | 'hashes' | 'last_number';

export interface Extraction {
  answer: string;
  method: ExtractionMethod;
}

/** Flexible extraction: the first method (in the documented order) that finds something. */
export function extractFlexible(text: string): Extraction | null {
  const boxed = lastBoxed(text);
  if (boxed !== null) return { answer: boxed, method: 'boxed' };
  const finalIs = lastMatch(text, /final answer is\s*[:：]?\s*([^\n]+)/gi);
  if (finalIs !== null && cleanCandidate(finalIs) !== '') return { answer: cleanCandidate(finalIs), method: 'final_answer' };
  const colon = lastMatch(text, /answer\**\s*[:：]\s*\**\s*([^\n]+)/gi);
  if (colon !== null && cleanCandidate(colon) !== '') return { answer: cleanCandidate(colon), method: 'answer_colon' };
  const hashes = lastMatch(text, /####\s*([^\n]+)/g);
  if (hashes !== null && cleanCandidate(hashes) !== '') return { answer: cleanCandidate(hashes), method: 'hashes' };
  const num = lastNumber(text);
  if (num !== null) return { answer: num, method: 'last_number' };
  return null;
}

/** Strict extraction: boxed only. */
export function extractStrict(text: string): string | null {
  return lastBoxed(text);
}
