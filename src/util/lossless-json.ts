/**
 * JSON the way Python's `json` module reads it, for dataset files written by Python tools:
 *
 * - numbers keep their exact text (lossless-json's LosslessNumber): 9223372036854775807 and
 *   10**31 + 1 stay exact, and `5.0` stays a float when handed back to Python;
 * - the tokens `NaN`, `Infinity` and `-Infinity` are accepted outside strings (Python writes
 *   them for float('nan') and friends; strict JSON has no spelling for them).
 *
 * `parsePythonJson` returns that lossless tree; `toPlain` turns it into ordinary JS values
 * (what the loaders read), `toPythonJson` writes it back as text for Python's `json.loads`
 * with every number exactly as it was in the file.
 */
import { isInteger, isLosslessNumber, isSafeNumber, LosslessNumber, parse } from 'lossless-json';

/** Strings that stand in for the non-finite tokens while lossless-json (strict JSON) parses. */
const SENTINEL: Readonly<Record<string, number>> = {
  '\u0000dsabench:NaN': Number.NaN,
  '\u0000dsabench:Infinity': Number.POSITIVE_INFINITY,
  '\u0000dsabench:-Infinity': Number.NEGATIVE_INFINITY,
};

/** JSON strings (skipped whole) or a non-finite token outside them. */
const TOKENS = /"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g;

/** Replace `NaN`/`Infinity`/`-Infinity` outside strings by sentinel strings; null when there are none. */
function markNonFinite(text: string): string | null {
  if (!/NaN|Infinity/.test(text)) return null;
  let found = false;
  const out = text.replace(TOKENS, (tok) => {
    if (tok.startsWith('"')) return tok;
    found = true;
    return JSON.stringify(`\u0000dsabench:${tok}`);
  });
  return found ? out : null;
}

function reviveNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.startsWith('\u0000dsabench:') && value in SENTINEL ? SENTINEL[value] : value;
}

/**
 * Parse one JSON text losslessly: every number becomes a LosslessNumber (its exact text),
 * except the non-finite tokens, which become the JS numbers NaN and ±Infinity.
 * Throws lossless-json's SyntaxError (with a position) on anything else that is not JSON.
 */
export function parsePythonJson(text: string): unknown {
  const marked = markNonFinite(text);
  return marked === null ? parse(text) : parse(marked, reviveNonFinite);
}

/**
 * Ordinary JS values from a lossless tree. A number that a double holds exactly becomes a
 * number; an integer that a double cannot hold becomes its exact decimal string (an id or
 * an answer read with String() keeps every digit); any other number rounds like
 * `JSON.parse` (and Python's float()) would.
 */
export function toPlain(v: unknown): unknown {
  if (isLosslessNumber(v)) return plainNumber(v);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toPlain(x);
    return out;
  }
  return v;
}

function plainNumber(n: LosslessNumber): number | string {
  const text = n.value;
  if (isSafeNumber(text)) return Number(text);
  return isInteger(text) ? text : Number(text);
}

/** Fast path for files without big integers or non-finite tokens: `JSON.parse` is exact there. */
const MAYBE_LOSSY = /\d{16,}|NaN|Infinity/;

/**
 * `toPlain(parsePythonJson(text))`, taking `JSON.parse` when nothing in the text can lose
 * precision: no run of 16+ digits (a double holds every integer of up to 15) and no
 * non-finite token.
 */
export function parsePlainJson(text: string): unknown {
  if (!MAYBE_LOSSY.test(text)) return JSON.parse(text) as unknown;
  return toPlain(parsePythonJson(text));
}

/**
 * JSON text for Python's `json.loads`: numbers exactly as parsed (LosslessNumber text),
 * non-finite JS numbers as `NaN`/`Infinity`/`-Infinity`, everything else as JSON.
 */
export function toPythonJson(v: unknown): string {
  if (isLosslessNumber(v)) return v.value;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return '[' + v.map(toPythonJson).join(', ') + ']';
  if (v !== null && typeof v === 'object') {
    return '{' + Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${toPythonJson(x)}`).join(', ') + '}';
  }
  // string, boolean, null (undefined cannot come out of a parse)
  return JSON.stringify(v) ?? 'null';
}
