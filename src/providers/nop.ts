import type { Completion, CompletionRequest, Provider } from '../types.js';
import { textCompletion } from '../util/completion.js';

/** Answers nothing: a suite where `nop` scores above 0% has a scorer that passes empty output. */
export class NopProvider implements Provider {
  readonly id = 'nop';
  readonly model = 'nop';

  complete(_req: CompletionRequest): Promise<Completion> {
    return Promise.resolve(textCompletion(''));
  }
}
