import type { Completion, Provider } from '../types.js';
import { textCompletion } from '../util/completion.js';

/**
 * `-p nop`: no model. Its attempts are made by the nop solver of the suite's solver (nothing
 * answered, nothing done): a suite where `nop` scores above 0% has a scorer that passes
 * empty output. complete() answers nothing.
 */
export class NopProvider implements Provider {
  readonly id = 'nop';
  readonly model = 'nop';
  readonly standIn = 'nop';

  complete(): Promise<Completion> {
    return Promise.resolve(textCompletion(''));
  }
}
