import type { Tokenizer } from './types.js';

/** UTF-8 bytes: the vocabulary of the built-in model served by the native provider. */
export const byteTokenizer: Tokenizer = {
  name: 'byte',
  approximate: false,
  count: (text) => Buffer.byteLength(text, 'utf8'),
  encode: (text) => Array.from(Buffer.from(text, 'utf8')),
  decode: (ids) => Buffer.from(ids).toString('utf8'),
};
