/**
 * The stand-in solvers: what `-p oracle` and `-p nop` run instead of a model, for suites
 * whose solver names no stand-in of its own (the chat solver). The oracle's answer is the
 * item's reference solution (an error value when the item has none), nop's is nothing; both
 * are the chat solver's result for a model that had replied so (same record, same timings).
 */
import type { Completion, Item, Solver } from '../types.js';
import { errorCompletion, textCompletion } from '../util/completion.js';

/** The reference solution as a reply (also what the oracle provider's complete() answers). */
export function referenceCompletion(item: Item): Completion {
  const ref = item.reference;
  return typeof ref === 'string' ? textCompletion(ref) : errorCompletion('item has no reference solution');
}

export const referenceSolver: Solver = async (args) => {
  const completion = referenceCompletion(args.item);
  return { output: completion.text, completion };
};

export const nopSolver: Solver = async () => {
  const completion = textCompletion('');
  return { output: completion.text, completion };
};
