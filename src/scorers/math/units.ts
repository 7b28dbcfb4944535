/**
 * Units after an answer's value: `5\mbox{ cm}^2`, `24 \mathrm{~cm}^{2}`, `18\,\text{m}^2`,
 * `12 square units`, `5 cm²`. MATH's own rule (`_remove_right_units`) only cuts at
 * `\text{ ` and leaves `\mbox{ cm}^2` or `\text{m}^2` behind; these rules take the power
 * with the unit, and only a power written right after a unit (`5^2` stays 25).
 */

// a unit in a text command at the end, preceded by a value (not an operator or nothing)
const TEXT_UNIT = /^(.*?[^\s+\-*/=(,^_{])(?:\s|\\[,;:! ]|~)*\\(?:text|mbox|mathrm|textrm|rm|mathit)\s*\{[\s~]*([A-Za-z][A-Za-z .~/-]*?)[\s~.]*\}\s*(?:\^\s*(?:\{\s*-?[1-3]\s*\}|-?[1-3]))?\s*\.?$/s;

// spelled-out units that may carry a power ("5 cm^2", "18 m^2", "5 square units")
const POWER_UNITS = 'cm|mm|km|m|in|inches|inch|ft|feet|foot|yd|yards|mi|miles|meters|metres|meter|metre|units|centimeters|centimetres|kilometers';

// a number followed by up to three words ("12 km", "5 dollars", "624 pages per year"), but
// never math words ("2 pi"); a power only after a length unit
const UNIT_WORDS = new RegExp(
  String.raw`^(-?[\d.,]+(?:\\frac\{\d+\}\{\d+\})?)\s*` +
    String.raw`(?!(?:pi|sqrt|sin|cos|tan|log|ln|exp|infty|or|and)\b)` +
    String.raw`(?:(?:[A-Za-z]{2,}\.?\s*){1,3}|(?:[A-Za-z]{2,}\s+)?(?:${POWER_UNITS})\s*\^\s*\{?[23]\}?\s*)$`,
);

/** The answer without a unit written in a text command at its end (`\mbox{ cm}^2`). */
export function stripTextUnit(s: string): string {
  const m = TEXT_UNIT.exec(s);
  if (!m) return s;
  // `\text{(C)}` or a word answer has no value before it; `x \text{ if }` is not a unit
  const unit = m[2]!.replace(/[~.]/g, ' ').trim().toLowerCase();
  if (['or', 'and', 'if', 'for', 'where', 'when'].includes(unit)) return s;
  return m[1]!.trimEnd();
}

/** A number followed only by unit words → the number; anything else unchanged. */
export function stripUnitWords(s: string): string {
  const m = UNIT_WORDS.exec(s);
  return m ? m[1]! : s;
}
