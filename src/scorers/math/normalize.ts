/**
 * Answer normalisation: the MATH paper's `_strip_string` rules (Hendrycks et al. 2021,
 * math_equivalence.py), in their order, plus a few additions marked "extra" that make
 * common model formatting (`$…$`, `\text{…}`, `\,` spacing, `x \in`, "or") compare equal.
 */
import { balancedGroup } from './boxed.js';
import { unicodeToLatex } from './unicode.js';
import { stripTextUnit, stripUnitWords } from './units.js';

export interface Normalized {
  /** The normalised string (no spaces). */
  s: string;
  /** The answer carried a percent sign (`25\%`), so 25 and 0.25 both stand for it. */
  percent: boolean;
}

/** `\frac12` → `\frac{1}{2}`, `\frac1{2}` → `\frac{1}{2}` (MATH `_fix_fracs`). */
export function fixFracs(s: string): string {
  const parts = s.split('\\frac');
  let out = parts[0]!;
  for (const sub of parts.slice(1)) {
    out += '\\frac';
    if (sub.length === 0 || sub[0] === '{') {
      out += sub;
      continue;
    }
    if (sub.length < 2) return s; // malformed: leave it alone, as MATH does
    const a = sub[0]!;
    const b = sub[1]!;
    if (b !== '{') out += `{${a}}{${b}}${sub.slice(2)}`;
    else out += `{${a}}${sub.slice(1)}`;
  }
  return out;
}

/** `\sqrt3` → `\sqrt{3}` (MATH `_fix_sqrt`: only the first character is wrapped). */
export function fixSqrt(s: string): string {
  if (!s.includes('\\sqrt')) return s;
  const parts = s.split('\\sqrt');
  let out = parts[0]!;
  for (const sub of parts.slice(1)) {
    if (sub.length > 0 && sub[0] !== '{' && sub[0] !== '[') out += `\\sqrt{${sub[0]}}${sub.slice(1)}`;
    else out += `\\sqrt${sub}`;
  }
  return out;
}

/** `3/4` (two integers) → `\frac{3}{4}` (MATH `_fix_a_slash_b`). */
export function fixASlashB(s: string): string {
  const m = /^(-?)(\d+)\/(\d+)$/.exec(s);
  if (!m) return s;
  return `${m[1]}\\frac{${m[2]}}{${m[3]}}`;
}

/** MATH `_remove_right_units`: `5\text{ cm}` → `5`. */
function removeRightUnits(s: string): string {
  if (s.includes('\\text{ ')) return s.split('\\text{ ')[0]!;
  return s;
}

/** extra: `\text{abc}`, `\textbf{abc}`, `\mbox{abc}`, `\mathrm{abc}` → `abc`. */
function unwrapTextCommands(s: string): string {
  const re = /\\(?:text|textbf|textit|mbox|mathrm|mathbf|operatorname)\s*\{/g;
  let out = '';
  let last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const open = m.index + m[0].length - 1;
    const g = balancedGroup(s, open);
    if (!g) break;
    out += s.slice(last, m.index) + g.content;
    last = g.end;
    re.lastIndex = g.end;
  }
  return out + s.slice(last);
}

export function normalizeAnswer(input: string): Normalized {
  let s = unicodeToLatex(input).trim();
  // extra: wrappers and spacing commands that models emit around answers
  s = s.replace(/^\\\(|\\\)$/g, '').replace(/^\\\[|\\\]$/g, '');
  s = s.replace(/\\displaystyle/g, '').replace(/\\[,;:]/g, ' ').replace(/\\ /g, ' ').replace(/~/g, ' ');
  s = s.replace(/(?<!\\)\$/g, '');
  s = s.replace(/\{,\}/g, ',');
  // extra: "3 or -2", "x=1 and x=2" → a list
  s = s.replace(/\\text\{\s*(?:or|and)\s*\}/g, ',').replace(/\s+(?:or|and)\s+/g, ',');
  s = s.replace(/\\(?:quad|qquad)/g, ' ');
  const percent = /\\?%/.test(s) || /\\text\{\s*percent\s*\}/.test(s) || /\s+percent\s*$/.test(s);
  s = s.replace(/\\text\{\s*percent\s*\}|\s+percent\s*$/g, '');
  // ---- MATH _strip_string, in order
  s = s.replace(/\n/g, '');
  s = s.replace(/\\!/g, '');
  s = s.replace(/\\\\/g, '\\');
  s = s.replace(/tfrac/g, 'frac').replace(/dfrac/g, 'frac');
  s = s.replace(/\\left/g, '').replace(/\\right/g, '');
  s = s.replace(/\^\{\\circ\}/g, '').replace(/\^\\circ/g, '');
  s = s.replace(/\\\$/g, '');
  // extra: `5\mbox{ cm}^2`, `24\mathrm{~cm}^{2}` (MATH's rule below leaves the power behind)
  s = stripTextUnit(s);
  s = removeRightUnits(s);
  s = s.replace(/\\%/g, '').replace(/%/g, '');
  // extra: degrees and text wrappers, after the units rule so `\text{ cm}` is still dropped
  s = s.replace(/°|\\degree/g, '');
  s = unwrapTextCommands(s).trim();
  // extra: trailing unit words after a number ("12 km", "5 dollars")
  s = stripUnitWords(s);
  s = s.replace(/ \./g, ' 0.').replace(/\{\./g, '{0.');
  if (s.length === 0) return { s, percent };
  if (s[0] === '.') s = '0' + s;
  // "x = 0.5" → "0.5" (left side of at most 2 characters, as in MATH)
  const eq = s.split('=');
  if (eq.length === 2 && eq[0]!.trim().length <= 2) s = eq[1]!;
  // extra: "x \in [1, 2)" → "[1, 2)"
  s = s.replace(/^\s*[A-Za-z]\s*\\in\s*/, '');
  s = fixSqrt(s);
  s = s.replace(/\s+/g, '');
  s = fixFracs(s);
  if (s === '0.5') s = '\\frac{1}{2}';
  s = fixASlashB(s);
  // extra: a trailing period, `(C)` → `C`
  s = s.replace(/\.$/, '');
  const choice = /^\(([A-Ea-e])\)$/.exec(s);
  if (choice) s = choice[1]!.toUpperCase();
  return { s, percent };
}
