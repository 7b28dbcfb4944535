import type { ScoreFn } from '../types.js';

/** Exact string match after trimming (options.ignore_case to fold case). */
export const exactMatch: ScoreFn = (output, item, options) => {
  const fold = options['ignore_case'] === true;
  const norm = (s: string): string => (fold ? s.trim().toLowerCase() : s.trim());
  const targets = Array.isArray(item.target) ? item.target.map(String) : [String(item.target)];
  const pass = targets.some((t) => norm(t) === norm(output));
  return { value: pass ? 1 : 0, pass };
};
