/**
 * Next-token choice and output text assembly for the built-in model.
 *
 *  - `createSampler`: greedy (temperature 0, ties → lowest id) or temperature / nucleus (top_p)
 *    sampling over a logits vector, driven by a seeded PRNG so a (prompt, seed) pair always
 *    gives the same answer.
 *  - `StopTextStream`: turns sampled byte tokens into text as it is produced, stops on
 *    <|eos|> (and <|user|>: the model opening a new turn ends its reply) or on a text-level
 *    stop sequence. Text that could still become the start of a stop sequence, or an
 *    incomplete UTF-8 character, is held back, so what has been emitted never needs taking
 *    back and the final text excludes the stop sequence (OpenAI semantics).
 */
import { mulberry32 } from '../util/stats.js';
import { EOS, USER } from './tokens.js';

export interface SamplingOptions {
  /** 0 = greedy. */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 = the whole distribution. */
  top_p: number;
  seed: number;
}

export type Sampler = (logits: Float32Array) => number;

/** Index of the largest logit (the first one on ties; NaN never wins). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/**
 * A sampler with its own PRNG stream. Temperature > 0: p_i ∝ exp((l_i − max)/T); with
 * top_p < 1 only the most likely tokens whose cumulative mass first reaches top_p are kept
 * (always at least one) and renormalised.
 */
export function createSampler(o: SamplingOptions): Sampler {
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) throw new RangeError(`temperature must be a finite number ≥ 0, got ${o.temperature}`);
  if (!(o.top_p > 0 && o.top_p <= 1)) throw new RangeError(`top_p must be in (0, 1], got ${o.top_p}`);
  if (o.temperature === 0) return argmax;
  const rand = mulberry32(o.seed);
  const invT = 1 / o.temperature;
  let probs = new Float64Array(0);
  let order = new Int32Array(0);
  return (logits) => {
    const n = logits.length;
    if (probs.length !== n) {
      probs = new Float64Array(n);
      order = new Int32Array(n);
    }
    let max = -Infinity;
    for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
    if (max === -Infinity || Number.isNaN(max)) return argmax(logits);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const l = logits[i]!;
      const p = Number.isNaN(l) ? 0 : Math.exp((l - max) * invT);
      probs[i] = p;
      sum += p;
    }
    const r = rand();
    if (o.top_p >= 1) {
      let acc = 0;
      const target = r * sum;
      for (let i = 0; i < n; i++) {
        acc += probs[i]!;
        if (acc > target) return i;
      }
      return argmax(logits);
    }
    // Nucleus: sort ids by probability (stable: lower id first on ties), keep the head.
    for (let i = 0; i < n; i++) order[i] = i;
    const ids = Array.from(order).sort((a, b) => probs[b]! - probs[a]! || a - b);
    const cut = o.top_p * sum;
    let kept = 0;
    let mass = 0;
    while (kept < n) {
      mass += probs[ids[kept]!]!;
      kept++;
      if (mass >= cut) break;
    }
    const target = r * mass;
    let acc = 0;
    for (let j = 0; j < kept; j++) {
      acc += probs[ids[j]!]!;
      if (acc > target) return ids[j]!;
    }
    return ids[kept - 1]!;
  };
}

/** Sequences that end a reply: at most 4 non-empty strings (OpenAI's limit), duplicates dropped. */
export function normalizeStops(stop: string | readonly string[] | undefined | null): string[] {
  if (stop === undefined || stop === null) return [];
  const list = typeof stop === 'string' ? [stop] : [...stop];
  return [...new Set(list.filter((s) => s.length > 0))];
}

export interface StreamStep {
  /** Text that became final with this token ('' when held back or nothing printable). */
  delta: string;
  /** The reply ended (end-of-turn token or a stop sequence). */
  stopped: boolean;
}

/** Incremental decoder of generated tokens with stop handling (see the module comment). */
export class StopTextStream {
  private readonly stops: string[];
  private readonly decoder = new TextDecoder('utf-8');
  /** Decoded text not yet emitted (may hold the start of a stop sequence). */
  private pending = '';
  private emitted = '';
  private done = false;

  constructor(stop?: string | readonly string[] | null) {
    this.stops = normalizeStops(stop);
  }

  /** Everything emitted so far: the reply text, never containing a stop sequence. */
  get text(): string {
    return this.emitted;
  }

  get stopped(): boolean {
    return this.done;
  }

  /** Feeds one sampled token. After `stopped`, further tokens are ignored. */
  push(token: number): StreamStep {
    if (this.done) return { delta: '', stopped: true };
    if (token === EOS || token === USER) return this.finish(true);
    if (token < 0 || token > 255) return { delta: '', stopped: false }; // other special tokens carry no text
    this.pending += this.decoder.decode(Uint8Array.of(token), { stream: true });
    return this.settle(false);
  }

  /**
   * Ends the reply (token budget or context exhausted, or a stop token): flushes held text,
   * including an incomplete UTF-8 tail as U+FFFD, unless it contains a stop sequence.
   */
  finish(stopped = false): StreamStep {
    if (this.done) return { delta: '', stopped: true };
    this.pending += this.decoder.decode();
    const step = this.settle(true);
    this.done = true;
    return { delta: step.delta, stopped: stopped || step.stopped };
  }

  private settle(final: boolean): StreamStep {
    // A stop sequence can only start inside `pending`: any emitted suffix that was a prefix
    // of a stop sequence would have been held back.
    let cut = -1;
    for (const s of this.stops) {
      const at = this.pending.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      const delta = this.pending.slice(0, cut);
      this.emitted += delta;
      this.pending = '';
      this.done = true;
      return { delta, stopped: true };
    }
    let hold = 0;
    if (!final) {
      for (const s of this.stops) {
        for (let k = Math.min(s.length - 1, this.pending.length); k > hold; k--) {
          if (this.pending.endsWith(s.slice(0, k))) {
            hold = k;
            break;
          }
        }
      }
    }
    const delta = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    this.emitted += delta;
    return { delta, stopped: false };
  }
}
