/**
 * A fake of the built-in model's inference surface (NativeModel.session) with deterministic
 * logits: after a prompt it "says" script(promptTokens) byte by byte and then <|eos|>.
 * Logits are `peak` at the scripted token and 0 elsewhere, so greedy decoding follows the
 * script and temperature sampling mostly does. It enforces maxLength like the native session.
 */
import type { NativeSession, SessionOptions } from '../../src/model/native.js';
import { ASSISTANT, decodeTokens, EOS, USER, VOCAB_SIZE } from '../../src/model/tokens.js';

export interface FakeModel {
  session(o: SessionOptions): NativeSession;
  /** Sessions opened and their options (for assertions). */
  readonly sessions: SessionOptions[];
  /** Total tokens forwarded (prefill + decode). */
  forwarded: number;
  /** Sessions closed (each counted once). */
  closed: number;
}

/** The last user turn's text of an encoded chat. */
export function lastUserText(prompt: readonly number[]): string {
  const start = prompt.lastIndexOf(USER);
  const end = prompt.lastIndexOf(ASSISTANT);
  return decodeTokens(prompt.slice(start + 1, end > start ? end : prompt.length));
}

export function fakeModel(script: (prompt: number[]) => string = (p) => `echo: ${lastUserText(p)}`, opts: { peak?: number; delayMs?: number } = {}): FakeModel {
  const peak = opts.peak ?? 20;
  const fm: FakeModel = {
    sessions: [],
    forwarded: 0,
    closed: 0,
    session(o) {
      fm.sessions.push(o);
      const cache: number[] = [];
      let promptLen = -1;
      let reply: number[] = [];
      let isClosed = false;
      return {
        forward(tokens: Int32Array): Float32Array {
          if (isClosed) throw new Error('session is closed');
          if (cache.length + tokens.length > o.maxLength) {
            const e = new Error(`session full: ${cache.length} + ${tokens.length} > maxLength ${o.maxLength}`);
            throw e;
          }
          if (opts.delayMs) {
            const until = performance.now() + opts.delayMs;
            while (performance.now() < until) { /* busy wait: the native call blocks too */ }
          }
          for (const t of tokens) cache.push(t);
          fm.forwarded += tokens.length;
          if (promptLen < 0) {
            promptLen = cache.length;
            reply = [...Buffer.from(script(cache), 'utf8'), EOS];
          }
          const i = cache.length - promptLen;
          const next = reply[Math.min(i, reply.length - 1)]!;
          const logits = new Float32Array(VOCAB_SIZE);
          logits[next] = peak;
          return logits;
        },
        get length() {
          return cache.length;
        },
        truncate(n: number) {
          cache.length = n;
        },
        close() {
          if (!isClosed) fm.closed++;
          isClosed = true;
          cache.length = 0;
        },
      };
    },
  };
  return fm;
}
