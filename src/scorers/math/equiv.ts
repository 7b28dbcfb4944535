/**
 * Is a predicted answer equivalent to the gold one?
 *
 * 1. Both sides are normalised (normalize.ts, the MATH rules).
 * 2. Equal strings → equivalent.
 * 3. Matrices (`pmatrix`, `bmatrix`, …) entry by entry with these same rules; they are
 *    parsed before normalisation, which would merge their rows.
 * 4. Structure: unions of intervals, intervals/tuples (bracket kinds must match, elements in
 *    order), sets `\{…\}` and bare comma lists (unordered), `a \pm b` as a two-element set.
 * 5. Scalars: exact rationals (`0.125` = `\frac{1}{8}` = `1/8`, thousands separators),
 *    mixed numbers (`2\frac{1}{2}` = 5/2), percent (`25\%` = 25 = 0.25), decimals rounded
 *    to 6 places (`0.333333` = `\frac{1}{3}`),
 *    then expressions through mathjs evaluated at fixed random points
 *    (`\frac{\sqrt{2}}{2}` = `\frac{1}{\sqrt{2}}`, `(x+1)^2` = `x^2+2x+1`).
 */
import { mulberry32 } from '../../util/stats.js';
import { latexToExpression } from './latex-expr.js';
import { parseMatrix, type Matrix } from './matrix.js';
import { normalizeAnswer } from './normalize.js';
import { isDecimalLiteral, parseDecimal, rational, ratDiv, ratEq, ratToNumber, type Rational } from './rational.js';
import { unicodeToLatex } from './unicode.js';

type Structured =
  | { kind: 'scalar'; value: string }
  | { kind: 'bracket'; open: string; close: string; items: string[] }
  | { kind: 'unordered'; items: string[] }
  | { kind: 'union'; parts: Structured[] };

/** Split at commas that are not inside (), [], {} or \{ \}. */
export function splitTopLevel(s: string, sep = ','): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      depth += s[i + 1] === '{' ? 1 : -1;
      cur += ch + s[i + 1];
      i++;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    if (ch === sep && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const THOUSANDS = /^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;

/** Drop a `x=` / `a_1=` prefix from one element of a list. */
function stripLhs(s: string): string {
  const m = /^(?:[A-Za-z](?:_\{?\w+\}?)?|\\[a-z]+)=(.+)$/.exec(s);
  return m ? m[1]! : s;
}

function isWrapped(s: string, open: string, close: string): boolean {
  if (!s.startsWith(open) || !s.endsWith(close)) return false;
  // the opening bracket must close at the very end, or `(1)+(2)` would count as wrapped
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      depth--;
      if (depth === 0 && i < s.length - 1) return false;
    }
  }
  return true;
}

/** `a<x\leb` → [a-open, b-closed] interval; `x>a` → (a, ∞); `x\leb` → (-∞, b]. */
function inequalityInterval(s: string): Structured | null {
  if (splitTopLevel(s).length > 1) return null;
  const LT = String.raw`(<|\\leq?|≤)`;
  const GT = String.raw`(>|\\geq?|≥)`;
  const chain = new RegExp(`^(.+?)${LT}[A-Za-z]${LT}(.+)$`).exec(s);
  const open = (op: string): string => (op === '<' ? '(' : '[');
  const close = (op: string): string => (op === '<' ? ')' : ']');
  if (chain) return { kind: 'bracket', open: open(chain[2]!), close: close(chain[3]!), items: [chain[1]!, chain[4]!] };
  const upper = new RegExp(`^[A-Za-z]${LT}(.+)$`).exec(s);
  if (upper) return { kind: 'bracket', open: '(', close: close(upper[1]!), items: ['-\\infty', upper[2]!] };
  const lower = new RegExp(`^[A-Za-z]${GT}(.+)$`).exec(s);
  if (lower) return { kind: 'bracket', open: lower[1] === '>' ? '(' : '[', close: ')', items: [lower[2]!, '\\infty'] };
  return null;
}

/** A list element `a \pm b` stands for two elements. */
function expandPm(items: string[]): string[] {
  return items.flatMap((x) => ((x.match(/\\(?:pm|mp)/g) ?? []).length === 1 ? [x.replace(/\\(?:pm|mp)/, '+'), x.replace(/\\(?:pm|mp)/, '-')] : [x]));
}

export function structure(s: string): Structured {
  if (THOUSANDS.test(s)) return { kind: 'scalar', value: s.replace(/,/g, '') };
  const ineq = inequalityInterval(s);
  if (ineq) return ineq;
  if (s.includes('\\cup')) {
    return { kind: 'union', parts: s.split('\\cup').map((p) => structure(p)) };
  }
  if (s.startsWith('\\{') && s.endsWith('\\}')) {
    return { kind: 'unordered', items: expandPm(splitTopLevel(s.slice(2, -2)).map(stripLhs).filter((x) => x !== '')) };
  }
  if (s.startsWith('\\langle') && s.endsWith('\\rangle')) {
    return { kind: 'bracket', open: '(', close: ')', items: splitTopLevel(s.slice(7, -7)) };
  }
  const first = s[0];
  const last = s[s.length - 1];
  if ((first === '(' || first === '[') && (last === ')' || last === ']') && isWrapped(s, first, last)) {
    const items = splitTopLevel(s.slice(1, -1));
    if (items.length >= 2) return { kind: 'bracket', open: first, close: last, items };
  }
  const items = splitTopLevel(s);
  if (items.length >= 2) {
    // "x < 2 or x > 3" is the union of two intervals
    const intervals = items.map(inequalityInterval);
    if (intervals.every((x) => x !== null)) return { kind: 'union', parts: intervals as Structured[] };
    return { kind: 'unordered', items: expandPm(items.map(stripLhs).filter((x) => x !== '')) };
  }
  // `a \pm b` (also inside a fraction) is the two-element set {a + b, a - b}
  if (/\\(?:pm|mp)/.test(s) && (s.match(/\\(?:pm|mp)/g) ?? []).length === 1) {
    return { kind: 'unordered', items: [s.replace(/\\(?:pm|mp)/, '+'), s.replace(/\\(?:pm|mp)/, '-')] };
  }
  return { kind: 'scalar', value: stripLhs(s) };
}

// ---------------------------------------------------------------- scalars

/** Exact value of a number literal, `\frac{a}{b}` of literals, or `-\frac{a}{b}`. */
export function exactValue(s: string): Rational | null {
  const t = s.replace(/^\+/, '');
  const dec = parseDecimal(t.replace(/^(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?)$/, (m) => m.replace(/,/g, '')));
  if (dec) return dec;
  // repeating decimal `0.1\overline{6}` = 1/6
  const rep = /^(-?)(\d*)\.(\d*)\\overline\{(\d+)\}$/.exec(t);
  if (rep) {
    const [, sign, int = '', fixed = '', cycle = ''] = rep;
    const shift = 10n ** BigInt(fixed.length);
    const period = 10n ** BigInt(cycle.length) - 1n;
    // (int.fixed) + cycle / (period × shift)
    const num = BigInt((int || '0') + fixed) * period + BigInt(cycle);
    const r = rational(num, shift * period);
    return r && sign === '-' ? rational(-r.num, r.den) : r;
  }
  // a mixed number `2\frac{1}{2}` (integer, then a proper fraction of integers) is 5/2:
  // that is what a model means by it, and no answer writes a product that way
  const mixed = /^(-?)(\d+)\\frac\{(\d+)\}\{(\d+)\}$/.exec(t);
  if (mixed && BigInt(mixed[3]!) < BigInt(mixed[4]!) && mixed[3] !== '0') {
    const den = BigInt(mixed[4]!);
    const r = rational(BigInt(mixed[2]!) * den + BigInt(mixed[3]!), den);
    return r && mixed[1] === '-' ? rational(-r.num, r.den) : r;
  }
  const frac = /^(-?)\\frac\{([^{}]+)\}\{([^{}]+)\}$/.exec(t);
  if (frac) {
    const a = parseDecimal(frac[2]!);
    const b = parseDecimal(frac[3]!);
    if (!a || !b || b.num === 0n) return null;
    const q = ratDiv(a, b);
    if (!q) return null;
    return frac[1] === '-' ? rational(-q.num, q.den) : q;
  }
  return null;
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function numbersClose(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  if (round6(a) === round6(b)) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

function rationalsMatch(a: Rational, aDecimal: boolean, b: Rational, bDecimal: boolean): boolean {
  if (ratEq(a, b)) return true;
  // a decimal literal is an inexact form: compare after rounding to 6 places
  if (aDecimal || bDecimal) return numbersClose(ratToNumber(a), ratToNumber(b));
  return false;
}

type MathjsModule = typeof import('mathjs');
let mathjs: Promise<MathjsModule> | undefined;
/** mathjs is ~2 MB of JS: loaded only when an answer is an expression, not a number. */
function loadMathjs(): Promise<MathjsModule> {
  mathjs ??= import('mathjs');
  return mathjs;
}

const KNOWN_NAMES = new Set(['pi', 'e', 'i', 'Infinity', 'sqrt', 'nthRoot', 'sin', 'cos', 'tan', 'cot', 'sec', 'csc', 'asin', 'acos', 'atan', 'log', 'log10', 'exp']);

function asComplex(v: unknown): { re: number; im: number } | null {
  if (typeof v === 'number') return { re: v, im: 0 };
  if (v && typeof v === 'object' && 're' in v && 'im' in v) {
    const c = v as { re: unknown; im: unknown };
    if (typeof c.re === 'number' && typeof c.im === 'number') return { re: c.re, im: c.im };
  }
  return null;
}

async function expressionsMatch(a: string, b: string): Promise<boolean> {
  const ea = latexToExpression(a);
  const eb = latexToExpression(b);
  if (ea === null || eb === null) return false;
  const m = await loadMathjs();
  let na: import('mathjs').MathNode;
  let nb: import('mathjs').MathNode;
  try {
    na = m.parse(ea);
    nb = m.parse(eb);
  } catch {
    return false;
  }
  const vars = new Set<string>();
  for (const n of [na, nb]) {
    n.traverse((node) => {
      if ((node as { isSymbolNode?: boolean }).isSymbolNode) {
        const name = (node as unknown as { name: string }).name;
        if (!KNOWN_NAMES.has(name)) vars.add(name);
      }
    });
  }
  const ca = na.compile();
  const cb = nb.compile();
  const rnd = mulberry32(12345);
  const points = vars.size === 0 ? 1 : 3;
  for (let p = 0; p < points; p++) {
    const scope: Record<string, number> = {};
    for (const v of vars) scope[v] = 0.5 + 2 * rnd();
    let va: { re: number; im: number } | null;
    let vb: { re: number; im: number } | null;
    try {
      va = asComplex(ca.evaluate({ ...scope }));
      vb = asComplex(cb.evaluate({ ...scope }));
    } catch {
      return false;
    }
    if (!va || !vb) return false;
    if (Number.isNaN(va.re) || Number.isNaN(vb.re)) return false;
    // an overflow (1000! = Infinity) is not a value: only written infinities compare equal
    if (!Number.isFinite(va.re) || !Number.isFinite(vb.re)) {
      if (!(a.includes('\\infty') && b.includes('\\infty'))) return false;
    }
    if (!numbersClose(va.re, vb.re) || !numbersClose(va.im, vb.im)) return false;
  }
  return true;
}

async function scalarsMatch(a: string, aPercent: boolean, b: string, bPercent: boolean): Promise<boolean> {
  if (a === b) return true;
  const ra = exactValue(a);
  const rb = exactValue(b);
  if (ra && rb) {
    const da = isDecimalLiteral(a);
    const db = isDecimalLiteral(b);
    if (rationalsMatch(ra, da, rb, db)) return true;
    // `25\%` stands for 25 and for 0.25
    const hundred = rational(100n)!;
    if (aPercent && rationalsMatch(ratDiv(ra, hundred)!, da, rb, db)) return true;
    if (bPercent && rationalsMatch(ra, da, ratDiv(rb, hundred)!, db)) return true;
    return false;
  }
  if (/^[A-Za-z]+$/.test(a) && /^[A-Za-z]+$/.test(b)) return a.toLowerCase() === b.toLowerCase() && a.length > 1;
  return expressionsMatch(a, b);
}

async function itemsMatchOrdered(a: string[], b: string[]): Promise<boolean> {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(await scalarsMatch(a[i]!, false, b[i]!, false))) return false;
  return true;
}

async function itemsMatchUnordered(a: string[], b: string[]): Promise<boolean> {
  if (a.length !== b.length) return false;
  const used = new Array<boolean>(b.length).fill(false);
  for (const x of a) {
    let found = false;
    for (let j = 0; j < b.length; j++) {
      if (!used[j] && (await structuresMatch(structure(x), structure(b[j]!)))) {
        used[j] = true;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

async function structuresMatch(a: Structured, b: Structured, aPercent = false, bPercent = false): Promise<boolean> {
  if (a.kind === 'scalar' && b.kind === 'scalar') return scalarsMatch(a.value, aPercent, b.value, bPercent);
  if (a.kind === 'bracket' && b.kind === 'bracket') {
    return a.open === b.open && a.close === b.close && itemsMatchOrdered(a.items, b.items);
  }
  if (a.kind === 'unordered' && b.kind === 'unordered') return itemsMatchUnordered(a.items, b.items);
  if (a.kind === 'union' && b.kind === 'union') {
    if (a.parts.length !== b.parts.length) return false;
    const used = new Array<boolean>(b.parts.length).fill(false);
    for (const p of a.parts) {
      let found = false;
      for (let j = 0; j < b.parts.length; j++) {
        if (!used[j] && (await structuresMatch(p, b.parts[j]!))) {
          used[j] = true;
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
    return true;
  }
  // a one-element set `\{5\}` and a scalar `5`
  if (a.kind === 'unordered' && a.items.length === 1 && b.kind === 'scalar') return scalarsMatch(a.items[0]!, false, b.value, false);
  if (b.kind === 'unordered' && b.items.length === 1 && a.kind === 'scalar') return scalarsMatch(a.value, false, b.items[0]!, false);
  return false;
}

export interface EquivResult {
  equivalent: boolean;
  prediction: string;
  gold: string;
}

/** Same kind (a determinant `vmatrix` is not a matrix), same shape, every entry equivalent. */
async function matricesMatch(a: Matrix, b: Matrix): Promise<boolean> {
  if (a.kind !== b.kind || a.rows.length !== b.rows.length) return false;
  for (let r = 0; r < a.rows.length; r++) {
    const ra = a.rows[r]!;
    const rb = b.rows[r]!;
    if (ra.length !== rb.length) return false;
    for (let c = 0; c < ra.length; c++) if (!(await isEquivalent(ra[c]!, rb[c]!)).equivalent) return false;
  }
  return true;
}

/** Normalise both answers and compare them (see the rules at the top of this file). */
export async function isEquivalent(prediction: string, gold: string): Promise<EquivResult> {
  const p = normalizeAnswer(prediction);
  const g = normalizeAnswer(gold);
  const base = { prediction: p.s, gold: g.s };
  const mp = parseMatrix(unicodeToLatex(prediction));
  const mg = parseMatrix(unicodeToLatex(gold));
  if (mp && mg) return { equivalent: await matricesMatch(mp, mg), ...base };
  if (p.s === '' || g.s === '') return { equivalent: false, ...base };
  if (p.s === g.s) return { equivalent: true, ...base };
  const sp = structure(p.s);
  const sg = structure(g.s);
  return { equivalent: await structuresMatch(sp, sg, p.percent, g.percent), ...base };
}
