/**
 * Held-out accuracy of the built-in model during training: examples of the stage's tasks
 * from seeds disjoint from training, decoded greedily (one session per example) and scored
 * like string_match_all, plus the teacher-forced answer loss and token accuracy.
 */
import type { NativeModel } from './native.js';
import { exampleStream, packBatch, type Example, type MixtureTask } from './data.js';
import { decodeTokens, EOS } from './tokens.js';

export interface HeldOut {
  /** Share of examples whose greedy output contains every answer (string_match_all). */
  accuracy: number;
  byTask: Record<string, number>;
  /** Teacher-forced mean cross-entropy over the answer tokens and <|eos|> (nats). */
  answerLoss: number;
  /** Teacher-forced share of answer tokens predicted exactly (argmax). */
  answerTokenAccuracy: number;
}

/**
 * Held-out examples (seeds disjoint from training): greedy decoding scored like
 * string_match_all, plus the teacher-forced loss and token accuracy on the answers, which
 * move long before exact answers do.
 */
export function heldOutEval(
  model: NativeModel,
  opts: { seed: number; lengths: readonly number[]; tasks: readonly MixtureTask[]; examples: number; attention: 'dense' | 'sparse'; topk?: number; threads: number; vocab: number },
): HeldOut {
  const examples: Example[] = [];
  for (const ex of exampleStream({ seed: opts.seed, lengths: opts.lengths, tasks: opts.tasks })) {
    if (examples.length >= opts.examples) break;
    examples.push(ex);
  }
  let ok = 0;
  const per: Record<string, [number, number]> = {};
  for (const ex of examples) {
    const maxNew = ex.answerTokens.length + 8;
    const sess = model.session({ maxLength: ex.promptTokens.length + maxNew, attention: opts.attention, topk: opts.topk, threads: opts.threads });
    let logits = sess.forward(Int32Array.from(ex.promptTokens));
    const out: number[] = [];
    for (let i = 0; i < maxNew; i++) {
      const best = argmax(logits, 0, logits.length);
      if (best === EOS) break;
      out.push(best);
      if (i + 1 < maxNew) logits = sess.forward(Int32Array.of(best));
    }
    sess.close();
    const text = decodeTokens(out);
    const hit = ex.answers.every((a) => text.includes(a));
    if (hit) ok++;
    const t = (per[ex.task] ??= [0, 0]);
    t[0] += hit ? 1 : 0;
    t[1]++;
  }
  const byTask: Record<string, number> = {};
  for (const [k, [a, b]] of Object.entries(per)) byTask[k] = a / b;
  // teacher-forced answer loss, a few rows at a time (logits are [rows·length·vocab])
  let nll = 0, right = 0, count = 0;
  const V = opts.vocab;
  for (let i = 0; i < examples.length; i += 4) {
    const b = packBatch(examples.slice(i, i + 4), 0, 0, 1);
    const lg = model.logits({ tokens: b.tokens, batch: b.batch, length: b.length, attention: opts.attention, topk: opts.topk, threads: opts.threads });
    for (let j = 0; j < b.tokens.length; j++) {
      if (b.weights[j] === 0 || b.targets[j]! < 0) continue;
      const o = j * V;
      let mx = -Infinity;
      for (let v = 0; v < V; v++) mx = Math.max(mx, lg[o + v]!);
      let z = 0;
      for (let v = 0; v < V; v++) z += Math.exp(lg[o + v]! - mx);
      nll += Math.log(z) + mx - lg[o + b.targets[j]!]!;
      if (argmax(lg, o, o + V) - o === b.targets[j]) right++;
      count++;
    }
  }
  return { accuracy: ok / Math.max(1, examples.length), byTask, answerLoss: nll / Math.max(1, count), answerTokenAccuracy: right / Math.max(1, count) };
}

function argmax(x: Float32Array, from: number, to: number): number {
  let best = from;
  for (let v = from + 1; v < to; v++) if (x[v]! > x[best]!) best = v;
  return best;
}
