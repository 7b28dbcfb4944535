/**
 * Math scorer vs careful human grading on test/fixtures/math-graded.jsonl: agreement on the
 * held-out and tune splits, per style and per listed case, and the disagreements. For
 * comparison, the same records under strict mode (last box only), and the GSM8K-style ones
 * under lm-evaluation-harness's "flexible-extract" regex (last match of
 * `(-?[$0-9.,]{2,})|(-?[0-9]+)`).
 *
 *   npm run build && node dist/bench/math-agreement.js
 */
import { agreement, gradeAll, LISTED_CASES, loadGraded, type GradedRecord, type GradedResult } from '../test/helpers/math-graded.js';
import { isEquivalent, mathScorer } from '../src/scorers/math/index.js';

const pct = (a: { agree: number; n: number; rate: number }): string => `${a.agree}/${a.n} (${(100 * a.rate).toFixed(1)}%)`;

async function strictResults(records: GradedRecord[]): Promise<GradedResult[]> {
  const out: GradedResult[] = [];
  for (const record of records) {
    const s = await mathScorer(record.output, { id: record.id, input: {}, target: record.reference }, { mode: 'strict' }, {});
    out.push({ record, scorer: s.pass, extracted: null });
  }
  return out;
}

/** lm-evaluation-harness gsm8k "flexible-extract": the last number-like match, `$` and `,` removed. */
async function lmEvalFlexibleResults(records: GradedRecord[]): Promise<GradedResult[]> {
  const out: GradedResult[] = [];
  for (const record of records) {
    let last: string | null = null;
    for (const m of record.output.matchAll(/(-?[$0-9.,]{2,})|(-?[0-9]+)/g)) last = m[1] ?? m[2] ?? null;
    const answer = last === null ? null : last.replace(/[$,]/g, '').replace(/\.$/, '');
    const pass = answer !== null && answer !== '' && (await isEquivalent(answer, record.reference)).equivalent;
    out.push({ record, scorer: pass, extracted: answer });
  }
  return out;
}

const records = loadGraded();
const results = await gradeAll(records);
const split = (rs: GradedResult[], s: string): GradedResult[] => rs.filter((r) => r.record.split === s);

console.log(`records: ${records.length} (held-out ${split(results, 'heldout').length}, tune ${split(results, 'tune').length})`);
console.log(`math scorer (flexible): held-out ${pct(agreement(split(results, 'heldout')))}, tune ${pct(agreement(split(results, 'tune')))}`);
const strict = await strictResults(records);
console.log(`math scorer (strict):   held-out ${pct(agreement(split(strict, 'heldout')))}, tune ${pct(agreement(split(strict, 'tune')))}`);
// a GSM8K extractor: compared on the GSM8K-style records only
const gsm = records.filter((r) => r.style === 'gsm8k');
const lmEval = await lmEvalFlexibleResults(gsm);
const ours = results.filter((r) => r.record.style === 'gsm8k');
console.log(`GSM8K-style records, held-out: lm-eval flexible regex ${pct(agreement(split(lmEval, 'heldout')))}, math scorer ${pct(agreement(split(ours, 'heldout')))}`);
for (const style of ['gsm8k', 'math']) console.log(`  style ${style}: ${pct(agreement(results.filter((r) => r.record.style === style)))}`);
for (const c of LISTED_CASES) console.log(`  case ${c}: ${pct(agreement(results.filter((r) => r.record.cases.includes(c))))}`);
const wrong = agreement(results).disagreements;
if (wrong.length > 0) console.log('disagreements:');
for (const r of wrong) console.log(`  ${r.record.split} ${r.record.id}: human ${r.record.human}, scorer ${r.scorer}, extracted ${JSON.stringify(r.extracted)}: ${r.record.note}`);
