/**
 * Answer extraction from a model's free-form output.
 *
 * Both modes read the output after a reasoning model's `<think>` block (prose.ts), with
 * Unicode math and LaTeX thousands separators in their plain forms.
 *
 * strict:   the last non-empty balanced `\boxed{…}` / `\fbox{…}` (or `\boxed 5`), nothing else.
 * flexible: strict; then, with closing chatter removed, the last answer cue ("The (final)
 *           answer is …", `Answer: …`, `A: …`, `#### …`, an "Answer" heading and the
 *           paragraph under it); then a bold answer on the last line with a number; then
 *           the last number, unless the output stops mid-sentence.
 */
import { lastBoxed } from './boxed.js';
import { cleanCandidate, lastLineBold } from './candidate.js';
import { answerSection, dropTrailingChatter, lastNumber, looksTruncated, prepareText } from './prose.js';

export { balancedGroup, lastBoxed } from './boxed.js';
export { cleanCandidate } from './candidate.js';
export { lastNumber } from './prose.js';

export type ExtractionMethod = 'boxed' | 'final_answer' | 'answer_is' | 'answer_colon' | 'hashes' | 'answer_heading' | 'bold' | 'last_number';

export interface Extraction {
  answer: string;
  method: ExtractionMethod;
}

interface Cue {
  re: RegExp;
  method: ExtractionMethod;
  /** The answer follows on the next lines (a heading) rather than on the cue's own line. */
  below?: boolean;
}

const CUES: Cue[] = [
  { re: /\bfinal\s+answer\s+(?:is|would be|will be|should be)\b\s*[:：]?/gi, method: 'final_answer' },
  { re: /\b(?<!final\s)answer\s+(?:is|would be|will be|should be)\b\s*[:：]?/gi, method: 'answer_is' },
  { re: /\banswer\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?/gi, method: 'answer_colon' },
  { re: /^[ \t]*(?:\*\*)?A(?:\*\*)?[ \t]*[:：]/gm, method: 'answer_colon' },
  { re: /####/g, method: 'hashes' },
  { re: /^[ \t]*(?:#{1,6}[ \t]*|\*\*|__)?[ \t]*(?:final[ \t]+)?answer[ \t]*[:：]?[ \t]*(?:\*\*|__)?[ \t]*$/gim, method: 'answer_heading', below: true },
];

interface CueHit {
  index: number;
  end: number;
  cue: Cue;
}

/** Every cue in the text, the last one first. */
function cueHits(text: string): CueHit[] {
  const hits: CueHit[] = [];
  for (const cue of CUES) {
    const re = new RegExp(cue.re.source, cue.re.flags);
    for (let m = re.exec(text); m; m = re.exec(text)) {
      hits.push({ index: m.index, end: m.index + m[0].length, cue });
      if (m[0] === '') re.lastIndex++;
    }
  }
  return hits.sort((a, b) => b.index - a.index);
}

/** The text a cue introduces: the rest of its line, or under a heading the next paragraph. */
function cueText(text: string, hit: CueHit): string {
  const after = text.slice(hit.end);
  if (!hit.cue.below) return after.split('\n', 1)[0]!;
  return after.replace(/^\s*\n/, '').split(/\n\s*\n/, 1)[0]!.replace(/\n/g, ' ');
}

/** Flexible extraction: the first method (in the documented order) that finds something. */
export function extractFlexible(text: string): Extraction | null {
  const section = answerSection(prepareText(text));
  if (section.trim() === '') return null;
  const boxed = lastBoxed(section);
  if (boxed !== null) return { answer: boxed, method: 'boxed' };
  const body = dropTrailingChatter(section);
  for (const hit of cueHits(body)) {
    const answer = cleanCandidate(cueText(body, hit));
    if (answer !== '') return { answer, method: hit.cue.method };
  }
  const bold = lastLineBold(body);
  if (bold !== null) return { answer: bold, method: 'bold' };
  if (looksTruncated(body)) return null;
  const num = lastNumber(body);
  return num === null ? null : { answer: num, method: 'last_number' };
}

/** Strict extraction: the last non-empty box, nothing else. */
export function extractStrict(text: string): string | null {
  return lastBoxed(answerSection(prepareText(text)));
}
