/** Small exact fractions (JS numbers, small magnitudes) for building generated problems. */
export interface Frac {
  n: number;
  d: number;
}

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

export function frac(n: number, d = 1): Frac {
  if (d === 0) throw new Error('zero denominator');
  if (d < 0) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d);
  return { n: n / g, d: d / g };
}

export const add = (a: Frac, b: Frac): Frac => frac(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Frac, b: Frac): Frac => frac(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Frac, b: Frac): Frac => frac(a.n * b.n, a.d * b.d);
export const div = (a: Frac, b: Frac): Frac => frac(a.n * b.d, a.d * b.n);

/** LaTeX: `3`, `-\frac{3}{4}`. */
export function fracLatex(f: Frac): string {
  if (f.d === 1) return String(f.n);
  return `${f.n < 0 ? '-' : ''}\\frac{${Math.abs(f.n)}}{${f.d}}`;
}

/** Form for questions (inside `$…$`): `3`, `\frac{3}{4}`, `\left(-\frac{3}{4}\right)` when negative and `paren`. */
export function fracText(f: Frac, paren = false): string {
  const s = fracLatex(f);
  return paren && f.n < 0 ? `\\left(${s}\\right)` : s;
}

/** Plain-text form for prose: `3`, `3/4`. */
export function fracPlain(f: Frac): string {
  return f.d === 1 ? String(f.n) : `${f.n}/${f.d}`;
}

/** Exact decimal string of a fraction whose denominator divides a power of 10, else null. */
export function fracDecimal(f: Frac): string | null {
  let d = f.d;
  let twos = 0;
  let fives = 0;
  while (d % 2 === 0) {
    d /= 2;
    twos++;
  }
  while (d % 5 === 0) {
    d /= 5;
    fives++;
  }
  if (d !== 1) return null;
  return (f.n / f.d).toFixed(Math.max(twos, fives));
}
