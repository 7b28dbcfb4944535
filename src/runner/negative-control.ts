/**
 * The negative control of `dsabench validate`: every item answered with another item's
 * reference — a wrong answer of the right form. The oracle (= 100%) and nop (= 0%) checks
 * cannot tell a sound scorer from one that passes any non-empty answer (a target list with
 * a stray common word, a substring match on a one-character needle): where the oracle's
 * answer is the target itself, both check out. Such a scorer passes this control.
 *
 * For item i the answer is the reference of the next item (in suite order, wrapping) whose
 * target and reference both differ from item i's, so a suite whose items share a target is
 * not blamed for that. With no such item (a one-item suite, all targets equal) the answer
 * is a fixed sentence that answers nothing.
 */
import { textCompletion } from '../util/completion.js';
import type { Completion, CompletionRequest, Item, Provider } from '../types.js';

export const UNRELATED_ANSWER = 'This reply answers a different question.';

/** Item id → the wrong answer it gets, and whether it came from another item. */
export function swappedAnswers(items: readonly Item[]): Map<string, { answer: string; from: string | null }> {
  const out = new Map<string, { answer: string; from: string | null }>();
  const key = (v: unknown): string => JSON.stringify(v) ?? 'undefined';
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    let pick: { answer: string; from: string | null } = { answer: UNRELATED_ANSWER, from: null };
    for (let k = 1; k < items.length; k++) {
      const o = items[(i + k) % items.length]!;
      if (typeof o.reference !== 'string' || o.reference.trim() === '') continue;
      if (key(o.target) === key(it.target) || o.reference === it.reference) continue;
      pick = { answer: o.reference, from: o.id };
      break;
    }
    out.set(it.id, pick);
  }
  return out;
}

export class SwappedReferenceProvider implements Provider {
  readonly id = 'swapped-reference';
  readonly model = 'swapped-reference';
  private readonly answers: Map<string, { answer: string; from: string | null }>;

  constructor(items: readonly Item[]) {
    this.answers = swappedAnswers(items);
  }

  /** Where item `id`'s answer came from (another item's id), or null for the fixed sentence. */
  source(id: string): string | null {
    return this.answers.get(id)?.from ?? null;
  }

  complete(req: CompletionRequest): Promise<Completion> {
    return Promise.resolve(textCompletion(this.answers.get(req.item.id)?.answer ?? UNRELATED_ANSWER));
  }
}
