/**
 * Matrices and vectors written as LaTeX environments (`pmatrix`, `bmatrix`, `matrix`,
 * `array`, with or without `\left( … \right)`), parsed into rows of cell strings so the
 * equivalence can compare them entry by entry. Parsing happens on the raw answer: the
 * MATH normalisation rewrites `\\` (the row separator) to `\`, after which rows are lost.
 */
import { balancedGroup } from './boxed.js';

export interface Matrix {
  /** `det` for `vmatrix`/`Vmatrix` (a determinant or norm), `matrix` for the bracketed kinds. */
  kind: 'matrix' | 'det';
  rows: string[][];
}

const ENV = /^\\begin\{([pbBvV]?matrix|array)\}/;

/** Split at `sep` outside braces; an escaped character (`\{`, `\&`) never splits. */
function splitOutsideBraces(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (depth === 0 && s.startsWith(sep, i)) {
      out.push(cur);
      cur = '';
      i += sep.length - 1;
      continue;
    }
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1]!;
      i++;
      continue;
    }
    if (ch === '{') depth++;
    else if (ch === '}') depth--;
    cur += ch;
  }
  out.push(cur);
  return out;
}

/** The matrix an answer consists of, or null when the answer is anything else. */
export function parseMatrix(answer: string): Matrix | null {
  let s = answer.trim().replace(/^\$+|\$+$/g, '').trim();
  // `\left( \begin{matrix} … \end{matrix} \right)` and `\left[ … \right]`
  s = s.replace(/^\\left\s*[([]\s*/, '').replace(/\s*\\right\s*[)\]]\.?$/, '').trim();
  s = s.replace(/\.$/, '').trim();
  const m = ENV.exec(s);
  if (!m) return null;
  const env = m[1]!;
  let body = s.slice(m[0].length);
  if (env === 'array') {
    // `\begin{array}{cc}`: drop the column spec
    const spec = /^\s*\{/.exec(body) ? balancedGroup(body, body.indexOf('{')) : null;
    if (spec) body = body.slice(spec.end);
  }
  const end = `\\end{${env}}`;
  if (!body.trimEnd().endsWith(end)) return null;
  body = body.trimEnd().slice(0, -end.length);
  // rows at `\\` (an optional spacing `\\[2pt]` after it), cells at `&`
  const rows = splitOutsideBraces(body.replace(/\\\\\s*\[[^\]]*\]/g, '\\\\'), '\\\\')
    .map((r) => splitOutsideBraces(r, '&').map((c) => c.trim()))
    .filter((r) => !(r.length === 1 && r[0] === ''));
  if (rows.length === 0 || rows.some((r) => r.length !== rows[0]!.length || r.some((c) => c === ''))) return null;
  return { kind: env === 'vmatrix' || env === 'Vmatrix' ? 'det' : 'matrix', rows };
}
