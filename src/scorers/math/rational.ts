/**
 * Exact rationals over BigInt, for comparing answers like `0.125`, `\frac{1}{8}`, `1/8`
 * without floating-point surprises. Always reduced, denominator > 0.
 */
export interface Rational {
  num: bigint;
  den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function rational(num: bigint, den: bigint = 1n): Rational | null {
  if (den === 0n) return null;
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den) || 1n;
  return { num: num / g, den: den / g };
}

export function ratEq(a: Rational, b: Rational): boolean {
  return a.num === b.num && a.den === b.den;
}

export function ratDiv(a: Rational, b: Rational): Rational | null {
  return rational(a.num * b.den, a.den * b.num);
}

export function ratToNumber(r: Rational): number {
  return Number(r.num) / Number(r.den);
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** `-12`, `3.50`, `.5`, `+7` → exact rational; anything else → null. */
export function parseDecimal(s: string): Rational | null {
  const m = DECIMAL.exec(s);
  if (!m) return null;
  const [, sign, int = '', frac = ''] = m;
  if (int === '' && frac === '') return null;
  const digits = BigInt((int || '0') + frac);
  const den = 10n ** BigInt(frac.length);
  return rational(sign === '-' ? -digits : digits, den);
}

/** True when the literal has a fractional part written in decimal (an inexact form). */
export function isDecimalLiteral(s: string): boolean {
  return /^[+-]?\d*\.\d+$/.test(s);
}
