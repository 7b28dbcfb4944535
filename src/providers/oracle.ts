import type { Completion, CompletionRequest, Provider } from '../types.js';
import { errorCompletion, textCompletion } from '../util/completion.js';

/**
 * Answers every item with its reference solution: a suite whose oracle does not score
 * 100% has a broken scorer or broken references (`dsabench validate`).
 */
export class OracleProvider implements Provider {
  readonly id = 'oracle';
  readonly model = 'oracle';

  complete(req: CompletionRequest): Promise<Completion> {
    const ref = req.item.reference;
    if (typeof ref !== 'string') return Promise.resolve(errorCompletion('item has no reference solution'));
    return Promise.resolve(textCompletion(ref));
  }
}
