/**
 * A small LaTeX → mathjs expression translator for normalised answers: `\frac`, `\sqrt`,
 * `\sqrt[n]`, `^{…}`, `\cdot`, `\times`, `\pi`, `\infty`, trig/log functions and Greek
 * letters. Anything else (matrices, `\pm`, unknown commands) gives null, and the caller
 * falls back to string comparison. Letter runs are split into single-letter variables
 * (`2xy` → `2 x y`) because answers use one-letter variables.
 */
import { balancedGroup } from './boxed.js';

const GREEK = new Set([
  'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'varepsilon', 'zeta', 'eta', 'theta', 'vartheta', 'iota', 'kappa',
  'lambda', 'mu', 'nu', 'xi', 'rho', 'sigma', 'tau', 'upsilon', 'phi', 'varphi', 'chi', 'psi', 'omega',
]);
const FUNCS: Record<string, string> = {
  sin: 'sin', cos: 'cos', tan: 'tan', cot: 'cot', sec: 'sec', csc: 'csc',
  arcsin: 'asin', arccos: 'acos', arctan: 'atan', ln: 'log', log: 'log10', exp: 'exp',
};

class Untranslatable extends Error {}

function isKnownCommand(name: string): boolean {
  return ['frac', 'sqrt', 'cdot', 'times', 'div', 'pi', 'infty'].includes(name) || GREEK.has(name) || FUNCS[name] !== undefined;
}

function group(s: string, i: number): { content: string; end: number } {
  if (s[i] !== '{') {
    // a single-token argument: `\frac12` was fixed by normalisation, but `\sin x` and `^2` are not
    if (i >= s.length) throw new Untranslatable('missing argument');
    if (s[i] === '\\') {
      const m = /^\\[A-Za-z]+/.exec(s.slice(i));
      if (m) return { content: m[0], end: i + m[0].length };
    }
    return { content: s[i]!, end: i + 1 };
  }
  const g = balancedGroup(s, i);
  if (!g) throw new Untranslatable('unbalanced braces');
  return g;
}

function convert(s: string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === '\\') {
      const m = /^\\([A-Za-z]+)/.exec(s.slice(i));
      if (!m) {
        if (s[i + 1] === '{' || s[i + 1] === '}') throw new Untranslatable('set braces');
        throw new Untranslatable(`unsupported ${s.slice(i, i + 2)}`);
      }
      let name = m[1]!;
      // normalisation removed spaces, so `\pi r` arrives as `\pir`: take the longest known command
      if (!isKnownCommand(name)) {
        const known = [...name].map((_, k) => name.slice(0, name.length - k)).find(isKnownCommand);
        if (known) name = known;
      }
      i += name.length + 1;
      if (name === 'frac') {
        const a = group(s, i);
        const b = group(s, a.end);
        out += ` ((${convert(a.content)})/(${convert(b.content)})) `;
        i = b.end;
      } else if (name === 'sqrt') {
        let index: string | null = null;
        if (s[i] === '[') {
          const close = s.indexOf(']', i);
          if (close < 0) throw new Untranslatable('unclosed root index');
          index = s.slice(i + 1, close);
          i = close + 1;
        }
        const a = group(s, i);
        out += index === null ? ` sqrt(${convert(a.content)}) ` : ` nthRoot((${convert(a.content)}),(${convert(index)})) `;
        i = a.end;
      } else if (name === 'cdot' || name === 'times') out += '*';
      else if (name === 'div') out += '/';
      else if (name === 'pi') out += ' pi ';
      else if (name === 'infty') out += ' Infinity ';
      else if (GREEK.has(name)) out += ` ${name} `;
      else if (name === 'log' && s[i] === '_') {
        // \log_b x → log(x, b)
        const base = group(s, i + 1);
        if (s[base.end] === '(') throw new Untranslatable('log with a base and a parenthesised argument');
        // `\log_3 81`: an unbraced numeric argument runs to the end of the number
        const num = /^\d+(?:\.\d+)?/.exec(s.slice(base.end));
        const arg = num ? { content: num[0], end: base.end + num[0].length } : group(s, base.end);
        out += ` log(${convert(arg.content)}, ${convert(base.content)}) `;
        i = arg.end;
      } else if (FUNCS[name]) {
        const fn = FUNCS[name]!;
        if (s[i] === '(') out += ` ${fn}`;
        else {
          const a = group(s, i);
          out += ` ${fn}(${convert(a.content)}) `;
          i = a.end;
        }
      } else throw new Untranslatable(`unsupported \\${name}`);
      continue;
    }
    if (ch === '^') {
      const a = group(s, i + 1);
      out += `^(${convert(a.content)})`;
      i = a.end;
      continue;
    }
    if (ch === '_') {
      const a = group(s, i + 1);
      if (!/^[A-Za-z0-9]+$/.test(a.content)) throw new Untranslatable('complex subscript');
      out = out.replace(/\s+$/, '') + `_${a.content} `;
      i = a.end;
      continue;
    }
    if (ch === '{') {
      const a = group(s, i);
      out += `(${convert(a.content)})`;
      i = a.end;
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      out += ` ${ch} `;
      i++;
      continue;
    }
    if (/[0-9.+\-*/()!]/.test(ch)) {
      out += ch;
      i++;
      continue;
    }
    throw new Untranslatable(`unsupported character ${ch}`);
  }
  return out;
}

/** mathjs source for a normalised LaTeX answer, or null when it is not a plain expression. */
export function latexToExpression(s: string): string | null {
  if (s === '' || /\\begin|\\pm|\\mp|[<>=|,;]|\\[{}]/.test(s)) return null;
  try {
    return convert(s).replace(/\s+/g, ' ').trim();
  } catch (e) {
    // thousands of nested braces in a model's answer overflow the recursion: not an expression
    if (e instanceof Untranslatable || e instanceof RangeError) return null;
    throw e;
  }
}
