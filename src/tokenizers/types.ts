/**
 * A tokenizer as the long-context suite sees it: a name, whether its counts are exact
 * for the model it stands for, and a counter. `encode` is offered where ids exist.
 */
export interface Tokenizer {
  /** Stable name recorded with every item (`deepseek-v3`, `byte`, `approx-chars4`). */
  readonly name: string;
  /** True when counts are an estimate (the chars/4 fallback), never for a real vocabulary. */
  readonly approximate: boolean;
  /** Number of tokens of `text`, without special tokens (BOS/EOS). */
  count(text: string): number;
  encode?(text: string): number[];
  /** Text of token ids (special tokens skipped); offered where `encode` is. */
  decode?(ids: readonly number[]): string;
}
