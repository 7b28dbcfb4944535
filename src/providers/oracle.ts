import type { Completion, CompletionRequest, Provider } from '../types.js';
import { referenceCompletion } from '../solvers/stand-ins.js';

/**
 * `-p oracle`: no model. Its attempts are made by the oracle solver of the suite's solver
 * (the reference text as the reply; a terminal task's solve.sh run in its environment): a
 * suite whose oracle does not score 100% has a broken scorer or broken references
 * (`dsabench validate`). complete() answers the reference text, as the chat oracle does.
 */
export class OracleProvider implements Provider {
  readonly id = 'oracle';
  readonly model = 'oracle';
  readonly standIn = 'oracle';

  complete(req: CompletionRequest): Promise<Completion> {
    return Promise.resolve(referenceCompletion(req.item));
  }
}
