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
 * The template, once: calls `special` for each special token and `text` for each run of text
 * bytes, in order (encodeChat builds the ids, chatTokenCount only counts them).
 */
function walkChat(messages: readonly ChatMessage[], special: (id: number) => void, text: (s: string) => void): void {
  special(BOS);
  let last = BOS;
  const sp = (id: number): void => {
    special(id);
    last = id;
  };
  let system = '';
  for (const m of messages) {
    if (m.role === 'system') {
      system += (system ? '\n' : '') + m.content;
    } else if (m.role === 'user') {
      sp(USER);
      text(system ? `${system}\n\n${m.content}` : m.content);
      sp(ASSISTANT);
      system = '';
    } else {
      text(m.content);
      sp(EOS);
    }
  }
  if (system) {
    sp(USER);
    text(system);
    sp(ASSISTANT);
  }
  if (last !== ASSISTANT) {
    sp(USER);
    sp(ASSISTANT);
  }
}

/**
 * Token ids of a chat, ending with <|assistant|> so the model writes the next reply.
 * Consecutive system messages are joined; an assistant message in the history is closed by <|eos|>.
 */
export function encodeChat(messages: readonly ChatMessage[]): number[] {
  const out: number[] = [];
  walkChat(messages, (id) => out.push(id), (s) => {
    // A loop, not push(...bytes): a spread passes one argument per byte and overflows the
    // stack at a few hundred KB of text.
    const bytes = Buffer.from(s, 'utf8');
    for (let i = 0; i < bytes.length; i++) out.push(bytes[i]!);
  });
  return out;
}

/** encodeChat(messages).length without building the ids (a server checks a prompt against the context first). */
export function chatTokenCount(messages: readonly ChatMessage[]): number {
  let n = 0;
  walkChat(messages, () => n++, (s) => (n += Buffer.byteLength(s, 'utf8')));
  return n;
}
