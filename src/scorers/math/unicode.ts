/**
 * Unicode math characters that models print in place of their LaTeX or ASCII spelling.
 * A minus sign U+2212 in "−3" is a sign, not noise: dropping it would turn a wrong answer
 * (−3 for 3) into a right one, so every character here maps to what it means.
 */

const REPLACEMENTS: ReadonlyArray<readonly [RegExp, string]> = [
  // spaces and invisible characters
  [/[\u00A0\u2007\u2009\u200A\u202F\u3000]/g, ' '],
  // (an alternation, not a class: a zero-width joiner inside a class reads as joining its neighbours)
  [/\u200B|\u200C|\u200D|\u2060|\uFEFF/g, ''],
  // minus signs; an en dash only where it cannot be a range ("pages 4–16")
  [/[\u2212\uFE63\uFF0D]/g, '-'],
  [/(^|[^\w)\]}])[\u2012\u2013](?=\s*\d)/g, '$1-'],
  // operators and constants
  [/[\u00D7\u2715]/g, '\\times '],
  [/[\u00B7\u22C5\u2219]/g, '\\cdot '],
  [/\u00F7/g, '\\div '],
  [/\u03C0/g, '\\pi '],
  [/\u221E/g, '\\infty '],
  [/\u2264/g, '\\le '],
  [/\u2265/g, '\\ge '],
  [/\u222A/g, '\\cup '],
  // √(12) and √12 → \sqrt{…}; MATH's own `\sqrt3` form is handled by normalisation
  [/\u221A\s*\(([^()]*)\)/g, '\\sqrt{$1}'],
  [/\u221A\s*(\d+(?:\.\d+)?)/g, '\\sqrt{$1}'],
  [/\u221A/g, '\\sqrt'],
  [/\u00B2/g, '^2'],
  [/\u00B3/g, '^3'],
];

/** The text with Unicode math characters replaced by their LaTeX/ASCII meaning. */
export function unicodeToLatex(text: string): string {
  let s = text;
  for (const [re, to] of REPLACEMENTS) s = s.replace(re, to);
  return s;
}
