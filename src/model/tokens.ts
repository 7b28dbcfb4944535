/**
 * The built-in model's vocabulary: the 256 byte values plus four special tokens, and the
 * chat template that turns messages into token ids.
 *
 *   <|bos|> <|user|> {user text bytes} <|assistant|> {reply bytes} <|eos|>
 *
 * A system message, when present, is put before the first user message's text followed by
 * a blank line (the model has no separate system role). Multi-turn chats repeat the
 * user/assistant pair; an assistant turn in the history ends with <|eos|>.
 */
export const BOS = 256;
export const EOS = 257;
export const USER = 258;
export const ASSISTANT = 259;
export const VOCAB_SIZE = 260;

export const SPECIAL_TOKENS: Readonly<Record<string, number>> = {
  '<|bos|>': BOS,
  '<|eos|>': EOS,
  '<|user|>': USER,
  '<|assistant|>': ASSISTANT,
};

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export function encodeText(text: string): number[] {
  return Array.from(Buffer.from(text, 'utf8'));
}

/** Byte tokens back to text; special tokens are dropped (invalid UTF-8 becomes U+FFFD). */
export function decodeTokens(ids: readonly number[]): string {
  return Buffer.from(ids.filter((t) => t >= 0 && t < 256)).toString('utf8');
}

/**
 * Token ids of a chat, ending with <|assistant|> so the model writes the next reply.
 * Consecutive system messages are joined; an assistant message in the history is closed by <|eos|>.
 */
export function encodeChat(messages: readonly ChatMessage[]): number[] {
  const out: number[] = [BOS];
  let system = '';
  for (const m of messages) {
    if (m.role === 'system') {
      system += (system ? '\n' : '') + m.content;
    } else if (m.role === 'user') {
      out.push(USER, ...encodeText(system ? `${system}\n\n${m.content}` : m.content), ASSISTANT);
      system = '';
    } else {
      out.push(...encodeText(m.content), EOS);
    }
  }
  if (system) out.push(USER, ...encodeText(system), ASSISTANT);
  if (out[out.length - 1] !== ASSISTANT) out.push(USER, ASSISTANT);
  return out;
}
