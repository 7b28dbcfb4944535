/**
 * `\boxed{…}` / `\fbox{…}` answers. The last non-empty box is the answer: models close
 * with an empty `\boxed{}` (an echo of the prompt's "put your final answer within
 * \boxed{}") after the real one often enough that the last box alone would score 0.
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

/** True when an answer holds nothing but spacing (`\boxed{}`, `\boxed{ }`, `\boxed{\quad}`). */
export function isBlankAnswer(s: string): boolean {
  return s.replace(/\\(?:quad|qquad|[,;:! ])|~|\\(?:text|mbox)\{\s*\}|\s/g, '') === '';
}

/** The last non-empty `\boxed{…}`/`\fbox{…}` with balanced braces (an unbalanced one falls back to the one before). */
export function lastBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)(?![A-Za-z])/g;
  const starts: number[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index + m[0].length);
  for (let k = starts.length - 1; k >= 0; k--) {
    let i = starts[k]!;
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '{') {
      const g = balancedGroup(text, i);
      if (g && !isBlankAnswer(g.content)) return g.content.trim();
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
