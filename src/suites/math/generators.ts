/**
 * Seeded math problem families. Each takes a PRNG and a level (1 easy … 3 hard) and returns
 * a question with its exact answer in LaTeX. Answers are computed, never typed, so the
 * oracle (which answers `\boxed{<answer>}`) scores 100% by construction.
 */
import { add, div, frac, fracDecimal, fracLatex, fracPlain, fracText, mul, sub, type Frac } from './frac.js';

export type Level = 1 | 2 | 3;
export interface Problem {
  question: string;
  answer: string;
}
export type Rng = () => number;
export type Family = (rng: Rng, level: Level) => Problem;

export const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const nonzero = (rng: Rng, lo: number, hi: number): number => {
  for (;;) {
    const v = int(rng, lo, hi);
    if (v !== 0) return v;
  }
};
const paren = (v: number): string => (v < 0 ? `(${v})` : String(v));
/** `3x^2 - x + 5` from [[3, 'x^2'], [-1, 'x'], [5, '']], zero terms dropped. */
export function poly(terms: ReadonlyArray<readonly [number, string]>): string {
  let out = '';
  for (const [c, v] of terms) {
    if (c === 0) continue;
    const mag = Math.abs(c) === 1 && v !== '' ? '' : String(Math.abs(c));
    if (out === '') out = `${c < 0 ? '-' : ''}${mag}${v}`;
    else out += ` ${c < 0 ? '-' : '+'} ${mag}${v}`;
  }
  return out === '' ? '0' : out;
}
const ordinal = (n: number): string => {
  const t = n % 100;
  if (t >= 11 && t <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
};

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}
function factorial(n: number): number {
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}

// ---------------------------------------------------------------- families

const integerArithmetic: Family = (rng, level) => {
  if (level === 1) {
    const a = int(rng, 10, 99), b = int(rng, 10, 99), c = int(rng, 1, 50);
    return { question: `Compute $${a} + ${b} - ${c}$.`, answer: String(a + b - c) };
  }
  if (level === 2) {
    const a = int(rng, 12, 60), b = int(rng, 3, 19), d = int(rng, 2, 12), q = int(rng, 2, 30);
    const c = d * q;
    return { question: `Compute $${a} \\times ${b} - ${c} \\div ${d}$.`, answer: String(a * b - q) };
  }
  const a = nonzero(rng, -15, 15), b = int(rng, 2, 9), c = int(rng, 2, 4), d = nonzero(rng, -20, 20), e = int(rng, 2, 6);
  const value = (a - b) ** 2 * c - d * e + b ** c;
  return { question: `Compute $(${a} - ${b})^2 \\cdot ${c} - ${paren(d)} \\cdot ${e} + ${b}^{${c}}$.`, answer: String(value) };
};

const rationalArithmetic: Family = (rng, level) => {
  // a proper fraction each time (3/1 would read as a plain integer)
  const f = (lo: number, hi: number): Frac => {
    for (;;) {
      const x = frac(nonzero(rng, lo, hi), int(rng, 2, 9));
      if (x.d > 1) return x;
    }
  };
  if (level === 1) {
    const x = frac(int(rng, 1, 8), int(rng, 2, 9)), y = frac(int(rng, 1, 8), int(rng, 2, 9));
    return { question: `Compute $${fracText(x)} + ${fracText(y)}$ and write the result as a fraction in lowest terms.`, answer: fracLatex(add(x, y)) };
  }
  if (level === 2) {
    const x = f(-9, 9), y = f(1, 9), z = f(1, 9);
    return { question: `Compute $${fracText(x, true)} \\cdot ${fracText(y)} - ${fracText(z)}$ exactly.`, answer: fracLatex(sub(mul(x, y), z)) };
  }
  const x = f(-9, 9), y = f(1, 9), z = f(1, 9);
  return { question: `Compute $\\left(${fracText(x)} + ${fracText(y)}\\right) \\div ${fracText(z)}$ exactly.`, answer: fracLatex(div(add(x, y), z)) };
};

const percentages: Family = (rng, level) => {
  if (level === 1) {
    const p = pick(rng, [5, 10, 15, 20, 25, 30, 40, 50, 60, 75]);
    const n = 20 * int(rng, 1, 40);
    return { question: `What is ${p}% of ${n}?`, answer: fracLatex(frac(p * n, 100)) };
  }
  if (level === 2) {
    const p = pick(rng, [4, 8, 12, 15, 20, 25, 35]);
    const price = 25 * int(rng, 2, 40);
    const up = rng() < 0.5;
    const result = frac(price * (100 + (up ? p : -p)), 100);
    return {
      question: `A jacket costs ${price} dollars. Its price is ${up ? 'raised' : 'lowered'} by ${p}%. What is the new price in dollars?`,
      answer: fracDecimal(result) ?? fracLatex(result),
    };
  }
  const p = pick(rng, [10, 20, 25, 30, 50]), q = pick(rng, [10, 20, 25, 40]);
  const change = frac((100 + p) * (100 - q) - 10000, 100);
  return {
    question: `A quantity is increased by ${p}% and the result is then decreased by ${q}%. By what percent did the quantity change overall? Give a signed number of percent (negative for a decrease).`,
    answer: fracDecimal(change) ?? fracLatex(change),
  };
};

const linearEquations: Family = (rng, level) => {
  if (level === 1) {
    const a = int(rng, 2, 12), x = int(rng, -20, 20), b = nonzero(rng, -30, 30);
    return { question: `Solve for $x$: $${poly([[a, 'x'], [b, '']])} = ${a * x + b}$.`, answer: String(x) };
  }
  if (level === 2) {
    for (;;) {
      const a = int(rng, 2, 9), b = nonzero(rng, -9, 9), c = nonzero(rng, -9, 9), d = int(rng, -20, 20);
      if (a === c) continue;
      // a(x - b) = cx + d  →  x = (d + ab) / (a - c)
      const x = frac(d + a * b, a - c);
      return { question: `Solve for $x$: $${a}(${poly([[1, 'x'], [-b, '']])}) = ${poly([[c, 'x'], [d, '']])}$.`, answer: fracLatex(x) };
    }
  }
  for (;;) {
    const p = frac(int(rng, 1, 5), int(rng, 2, 6)), q = frac(nonzero(rng, -7, 7), int(rng, 2, 5)), r = frac(int(rng, -9, 9), int(rng, 2, 4));
    // p x + q = r - x/2  →  x (p + 1/2) = r - q
    const x = div(sub(r, q), add(p, frac(1, 2)));
    const coef = p.n === 1 && p.d === 1 ? '' : fracText(p);
    const qTerm = q.n < 0 ? `- ${fracText(frac(-q.n, q.d))}` : `+ ${fracText(q)}`;
    return { question: `Solve for $x$: $${coef}x ${qTerm} = ${fracText(r)} - \\frac{x}{2}$.`, answer: fracLatex(x) };
  }
};

const quadraticEquations: Family = (rng, level) => {
  if (level === 1) {
    for (;;) {
      const r1 = int(rng, -9, 9), r2 = int(rng, -9, 9);
      if (r1 === r2) continue;
      const b = -(r1 + r2), c = r1 * r2;
      return {
        question: `Find all solutions of $${poly([[1, 'x^2'], [b, 'x'], [c, '']])} = 0$. List them separated by commas.`,
        answer: `${Math.min(r1, r2)}, ${Math.max(r1, r2)}`,
      };
    }
  }
  if (level === 2) {
    for (;;) {
      // (p x - q)(x - r) = 0 with a rational root q/p
      const p = int(rng, 2, 5), q = nonzero(rng, -9, 9), r = int(rng, -6, 6);
      const root1 = frac(q, p);
      if (root1.d === 1) continue;
      const a = p, b = -(p * r + q), c = q * r;
      return {
        question: `Find all solutions of $${poly([[a, 'x^2'], [b, 'x'], [c, '']])} = 0$. List them separated by commas.`,
        answer: `${fracLatex(root1)}, ${r}`,
      };
    }
  }
  const m = int(rng, -6, 6), k = pick(rng, [2, 3, 5, 6, 7, 10, 11, 13]);
  // roots m ± √k of x^2 - 2m x + (m^2 - k)
  const b = -2 * m, c = m * m - k;
  const mid = m === 0 ? '' : String(m);
  return {
    question: `Find all real solutions of $${poly([[1, 'x^2'], [b, 'x'], [c, '']])} = 0$. List them separated by commas, in simplest radical form.`,
    answer: `${mid}+\\sqrt{${k}}, ${mid}-\\sqrt{${k}}`.replace(/^\+/, '').replace(/, \+/, ', '),
  };
};

const systems: Family = (rng, level) => {
  if (level < 3) {
    const span = level === 1 ? 6 : 15;
    for (;;) {
      const x = int(rng, -span, span), y = int(rng, -span, span);
      const a = nonzero(rng, -5, 5), b = nonzero(rng, -5, 5), c = nonzero(rng, -5, 5), d = nonzero(rng, -5, 5);
      if (a * d - b * c === 0) continue;
      return {
        question: `Solve the system $${poly([[a, 'x'], [b, 'y']])} = ${a * x + b * y}$ and $${poly([[c, 'x'], [d, 'y']])} = ${c * x + d * y}$. Give the answer as an ordered pair $(x, y)$.`,
        answer: `(${x}, ${y})`,
      };
    }
  }
  const x = int(rng, -5, 5), y = int(rng, -5, 5), z = int(rng, -5, 5);
  const a = int(rng, 1, 3), b = int(rng, 1, 3);
  return {
    question: `Solve the system $x + y + z = ${x + y + z}$, $${poly([[1, 'x'], [-1, 'y'], [a, 'z']])} = ${x - y + a * z}$, $${poly([[b, 'x'], [1, 'y'], [-1, 'z']])} = ${b * x + y - z}$. Give the answer as an ordered triple $(x, y, z)$.`,
    answer: `(${x}, ${y}, ${z})`,
  };
};

const sequences: Family = (rng, level) => {
  if (level === 1) {
    const a = int(rng, -10, 20), d = nonzero(rng, -7, 9), n = int(rng, 10, 60);
    return { question: `An arithmetic sequence starts ${a}, ${a + d}, ${a + 2 * d}, … What is its ${ordinal(n)} term?`, answer: String(a + (n - 1) * d) };
  }
  if (level === 2) {
    const a = int(rng, 1, 15), d = int(rng, 2, 9), n = int(rng, 10, 40);
    return { question: `Find the sum of the first ${n} terms of the arithmetic sequence ${a}, ${a + d}, ${a + 2 * d}, …`, answer: String((n * (2 * a + (n - 1) * d)) / 2) };
  }
  const a = int(rng, 1, 9), n = int(rng, 4, 8);
  const r = pick(rng, [frac(1, 2), frac(1, 3), frac(2, 3), frac(3, 2), frac(-1, 2), frac(2), frac(3)]);
  // S_n = a (1 - r^n) / (1 - r)
  let rn = frac(1);
  for (let i = 0; i < n; i++) rn = mul(rn, r);
  const s = div(mul(frac(a), sub(frac(1), rn)), sub(frac(1), r));
  return { question: `A geometric sequence has first term ${a} and common ratio ${fracPlain(r)}. Find the exact sum of its first ${n} terms.`, answer: fracLatex(s) };
};

const WORDS = ['LEVEL', 'BANANA', 'LETTER', 'CANNON', 'PEPPER', 'STATISTIC', 'MISSISSIPPI', 'COFFEE', 'BALLOON', 'ASSESS', 'PARALLEL', 'COMMITTEE', 'TOMORROW', 'GARDEN', 'RADAR', 'SEESAW', 'BOOKKEEPER', 'ADDRESS', 'SUCCESS', 'LITTLE'];

const combinatorics: Family = (rng, level) => {
  if (level === 1) {
    const n = int(rng, 5, 14), k = int(rng, 2, 4);
    return { question: `In how many ways can a committee of ${k} people be chosen from ${n} people?`, answer: String(binom(n, k)) };
  }
  if (level === 2) {
    const w = pick(rng, WORDS);
    const counts = new Map<string, number>();
    for (const ch of w) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    let r = factorial(w.length);
    for (const c of counts.values()) r /= factorial(c);
    return { question: `How many distinct arrangements of the letters of the word ${w} are there?`, answer: String(Math.round(r)) };
  }
  const m = int(rng, 3, 7), n = int(rng, 3, 7), women = int(rng, 4, 8), men = int(rng, 4, 8), k = int(rng, 3, 4);
  if (rng() < 0.5) {
    return { question: `A robot walks on a grid from $(0,0)$ to $(${m},${n})$, each step moving one unit right or one unit up. How many different paths can it take?`, answer: String(binom(m + n, m)) };
  }
  const total = binom(women + men, k) - binom(men, k);
  return { question: `A club has ${women} women and ${men} men. How many ${k}-person committees include at least one woman?`, answer: String(total) };
};

const unitWordProblems: Family = (rng, level) => {
  if (level === 1) {
    const v = 5 * int(rng, 6, 24), t = pick(rng, [frac(1, 2), frac(3, 2), frac(2), frac(5, 2), frac(3), frac(4)]);
    const dist = mul(frac(v), t);
    return { question: `A train travels at a constant ${v} km/h for ${fracDecimal(t)} hours. How many kilometres does it travel?`, answer: fracDecimal(dist) ?? fracLatex(dist) };
  }
  if (level === 2) {
    const litres = int(rng, 2, 9), cups = pick(rng, [200, 250, 400, 500]);
    const mlPerCup = cups;
    const total = frac(litres * 1000, mlPerCup);
    return { question: `A jug holds ${litres} litres of juice. How many glasses of ${mlPerCup} mL can be filled from it (a partly filled glass counts as a fraction)?`, answer: fracDecimal(total) ?? fracLatex(total) };
  }
  const a = int(rng, 2, 6), b = int(rng, a + 1, 12);
  // two pipes fill a tank in a and b hours; together: ab/(a+b) hours, asked in minutes
  const minutes = frac(60 * a * b, a + b);
  return { question: `One pipe fills a tank in ${a} hours and another fills it in ${b} hours. Working together, how many minutes do they take to fill the tank?`, answer: fracDecimal(minutes) ?? fracLatex(minutes) };
};

export const FAMILIES: Record<string, Family> = {
  integer_arithmetic: integerArithmetic,
  rational_arithmetic: rationalArithmetic,
  percentages,
  linear_equations: linearEquations,
  quadratic_equations: quadraticEquations,
  systems,
  sequences,
  combinatorics,
  unit_word_problems: unitWordProblems,
};
