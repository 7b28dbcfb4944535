/**
 * Training data of the built-in model: a seeded synthetic mixture drawn from dsabench's own
 * generators, the RULER-style long-context tasks (src/suites/longcontext/tasks.ts, fitted in
 * bytes) and the math families (src/suites/math/generators.ts).
 *
 * An example is the chat the model is evaluated on, followed by the graded answer:
 *
 *   <|bos|> <|user|> {prompt bytes} <|assistant|> {reference bytes} <|eos|>
 *
 * Inputs are every token but the last, targets the next token. Targets inside the prompt
 * get `promptWeight` (the LM loss over prompt bytes teaches byte structure), the answer and
 * <|eos|> get `answerWeight` (what is graded).
 *
 * Batches are a pure function of (seed, batch index): a batch picks one length bucket, each
 * row holds one example fitted to it, rows are padded to the longest row with token -1 /
 * target -1 / weight 0. Resuming a training run therefore needs only the batch index.
 */
import { DsabenchError } from '../errors.js';
import { fitLayout } from '../suites/longcontext/fit.js';
import { makeTask, TASKS, type TaskName } from '../suites/longcontext/tasks.js';
import { FAMILIES, type Level } from '../suites/math/generators.js';
import { byteTokenizer } from '../tokenizers/byte.js';
import { mulberry32 } from '../util/stats.js';
import { encodeChat, encodeText, EOS } from './tokens.js';

/** Mixture components: every long-context task, `arithmetic` (integer arithmetic and
 *  percentages, levels 1–2), `math` (every math family, levels 1–3) and `copy` (repeat a
 *  random string: every answer token is a lookup, which teaches the attention pattern that
 *  retrieval needs — previous-token + induction heads — with dense supervision), `repeat` (the
 *  same without the instruction: a short prompt that is only the string to repeat — a long
 *  constant prefix dilutes the attention signal and slows the forming of those heads a lot, so
 *  `repeat` is the curriculum's first stage) and `repeat_hex` (`repeat` over hex digits and
 *  dashes, like the uuid needles: with 17 symbols one previous token rarely says where the copy
 *  is, so exact copying needs a match on the last few tokens, the skill uuids depend on). */
export const MIXTURE_TASKS = [...TASKS, 'arithmetic', 'math', 'copy', 'repeat', 'repeat_hex'] as const;
export type MixtureTask = (typeof MIXTURE_TASKS)[number];

export interface Example {
  task: MixtureTask;
  prompt: string;
  /** The graded answer (the item's `reference`: answers joined by ", "). */
  answer: string;
  /** Every answer string the output must contain (string_match_all). */
  answers: string[];
  /** encodeChat([{ role: 'user', content: prompt }]) — what a provider sends. */
  promptTokens: number[];
  /** encodeText(answer) followed by <|eos|>. */
  answerTokens: number[];
}

export interface DataSpec {
  seed: number;
  /** Row lengths (tokens) a batch picks from. */
  lengths: readonly number[];
  /** Relative weights of the components; zero or missing = not drawn. */
  mixture: Partial<Record<MixtureTask, number>>;
  batch: number;
  promptWeight: number;
  answerWeight: number;
}

export interface Batch {
  tokens: Int32Array;   // [batch*length], -1 = padding
  targets: Int32Array;  // [batch*length], -1 = not scored
  weights: Float32Array; // [batch*length]
  batch: number;
  length: number;
  /** The bucket the batch was drawn for (≥ length). */
  bucket: number;
  tasks: MixtureTask[];
  /** Non-padding input tokens. */
  realTokens: number;
}

/** <|bos|> <|user|> … <|assistant|> */
const CHAT_OVERHEAD = encodeChat([{ role: 'user', content: '' }]).length;

/** A well-mixed 32-bit seed from a list of integers (FNV-1a over their bytes, then avalanche). */
export function mixSeed(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    let v = x >>> 0;
    const hi = Math.floor(x / 2 ** 32) >>> 0;
    for (let i = 0; i < 4; i++, v >>>= 8) h = Math.imul(h ^ (v & 0xff), 0x01000193);
    for (let i = 0; i < 4; i++) h = Math.imul(h ^ ((hi >>> (8 * i)) & 0xff), 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const ARITH = ['integer_arithmetic', 'percentages'] as const;

function mathExample(task: 'arithmetic' | 'math', rng: () => number): { prompt: string; answers: string[] } {
  const names = task === 'arithmetic' ? ARITH : Object.keys(FAMILIES);
  const fam = FAMILIES[names[Math.floor(rng() * names.length)]!]!;
  const level = (1 + Math.floor(rng() * (task === 'arithmetic' ? 2 : 3))) as Level;
  const p = fam(rng, level);
  return { prompt: p.question, answers: [p.answer] };
}

function finish(task: MixtureTask, prompt: string, answers: string[]): Example {
  const answer = answers.join(', ');
  return { task, prompt, answer, answers, promptTokens: encodeChat([{ role: 'user', content: prompt }]), answerTokens: [...encodeText(answer), EOS] };
}

/**
 * One example of `task` whose tokens minus one (the row length it needs) fit in `length`,
 * or null when this draw does not fit (the question and needles alone are too long).
 * Long-context prompts are filled to a random 85–100% of what the row leaves after the answer.
 */
export function makeExample(task: MixtureTask, seed: number, length: number): Example | null {
  const rng = mulberry32(seed);
  if (task === 'copy' || task === 'repeat' || task === 'repeat_hex') return copyExample(task, rng, length);
  if (task === 'arithmetic' || task === 'math') {
    const { prompt, answers } = mathExample(task, rng);
    const ex = finish(task, prompt, answers);
    return ex.promptTokens.length + ex.answerTokens.length - 1 <= length ? ex : null;
  }
  const depth = rng();
  const fill = 0.85 + 0.15 * rng();
  const inst = makeTask(task as TaskName, rng, depth, Math.floor(length * fill));
  const answerLen = encodeText(inst.answers.join(', ')).length + 1;
  const room = length + 1 - CHAT_OVERHEAD - answerLen;
  const fixedLen = byteTokenizer.count(inst.layout.prefix + inst.layout.build(0).map((p) => p.text).join('') + inst.layout.suffix);
  if (fixedLen > room) return null;
  const limit = Math.max(fixedLen, Math.floor(room * fill));
  const fitted = fitLayout(byteTokenizer, limit, inst.layout, { field: 'lengths', what: `${task} at ${length} tokens` });
  return finish(task, fitted.prompt, inst.answers);
}

const COPY_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-';
/** The copy tasks: the instruction before the string (none for the repeat tasks) and its alphabet. */
const COPY_TASKS = {
  copy: { prompt: 'Repeat the following text exactly.\n', chars: COPY_CHARS },
  repeat: { prompt: '', chars: COPY_CHARS },
  repeat_hex: { prompt: '', chars: '0123456789abcdef-' },
} as const;

/** A random string over the task's alphabet (a space now and then) as long as the row allows × 50–100%. */
function copyExample(task: keyof typeof COPY_TASKS, rng: () => number, length: number): Example | null {
  const { prompt, chars } = COPY_TASKS[task];
  const room = Math.floor((length + 1 - CHAT_OVERHEAD - prompt.length - 1) / 2);
  const n = Math.floor(room * (0.5 + 0.5 * rng()));
  if (n < 4) return null;
  let text = '';
  for (let i = 0; i < n; i++) text += i > 0 && i < n - 1 && rng() < 0.12 ? ' ' : chars[Math.floor(rng() * chars.length)]!;
  return finish(task, prompt + text, [text]);
}

/** Normalised cumulative mixture over the components with weight > 0. */
function mixtureTable(mixture: Partial<Record<MixtureTask, number>>, field: string): { tasks: MixtureTask[]; cum: number[] } {
  const tasks: MixtureTask[] = [];
  const cum: number[] = [];
  let total = 0;
  for (const [k, w] of Object.entries(mixture)) {
    if (!(MIXTURE_TASKS as readonly string[]).includes(k))
      throw new DsabenchError('E_CONFIG_INVALID', `unknown mixture component "${k}"; expected one of ${MIXTURE_TASKS.join(', ')}`, { field: `${field}.${k}` });
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0)
      throw new DsabenchError('E_CONFIG_INVALID', `mixture weight of "${k}" must be a number ≥ 0, got ${JSON.stringify(w)}`, { field: `${field}.${k}` });
    if (w === 0) continue;
    total += w;
    tasks.push(k as MixtureTask);
    cum.push(total);
  }
  if (tasks.length === 0) throw new DsabenchError('E_CONFIG_INVALID', 'the mixture has no component with a weight > 0', { field });
  return { tasks, cum: cum.map((c) => c / total) };
}

function draw<T>(rng: () => number, items: readonly T[], cum: readonly number[]): T {
  const u = rng();
  for (let i = 0; i < cum.length; i++) if (u < cum[i]!) return items[i]!;
  return items[items.length - 1]!;
}

/** Per bucket, the mixture restricted to tasks that fit it (probed once per stream). */
function bucketTables(spec: DataSpec, field: string): Map<number, { tasks: MixtureTask[]; cum: number[] }> {
  const base = mixtureTable(spec.mixture, `${field}.mixture`);
  const out = new Map<number, { tasks: MixtureTask[]; cum: number[] }>();
  for (const L of spec.lengths) {
    const tasks: MixtureTask[] = [];
    const cum: number[] = [];
    let prev = 0;
    let total = 0;
    base.tasks.forEach((t, i) => {
      const w = base.cum[i]! - prev;
      prev = base.cum[i]!;
      // a task fits when most seeded draws fit (needle counts vary a little)
      let ok = 0;
      for (let s = 0; s < 8; s++) if (makeExample(t, mixSeed(0xfeed, s, L), L)) ok++;
      if (ok >= 4) {
        total += w;
        tasks.push(t);
        cum.push(total);
      }
    });
    if (tasks.length === 0)
      throw new DsabenchError('E_CONFIG_INVALID', `no mixture component fits rows of ${L} tokens (the long-context tasks need ≥ ~300 bytes); use longer lengths or add "arithmetic"`, { field: `${field}.lengths` });
    out.set(L, { tasks, cum: cum.map((c) => c / total) });
  }
  return out;
}

/**
 * A batch source over `spec`: batch(i) is a pure function of (spec, i). `field` prefixes
 * error fields (e.g. "stages[0]").
 */
export class BatchStream {
  private readonly tables: Map<number, { tasks: MixtureTask[]; cum: number[] }>;

  constructor(readonly spec: DataSpec, field = 'data') {
    if (spec.lengths.length === 0) throw new DsabenchError('E_CONFIG_INVALID', 'lengths must not be empty', { field: `${field}.lengths` });
    for (const [i, L] of spec.lengths.entries())
      if (!Number.isInteger(L) || L < 16)
        throw new DsabenchError('E_CONFIG_INVALID', `length must be an integer ≥ 16, got ${JSON.stringify(L)}`, { field: `${field}.lengths[${i}]` });
    this.tables = bucketTables(spec, field);
  }

  /** The examples of batch `index` (before packing). */
  examples(index: number): { bucket: number; examples: Example[] } {
    const rng = mulberry32(mixSeed(this.spec.seed, index));
    const bucket = this.spec.lengths[Math.floor(rng() * this.spec.lengths.length)]!;
    const table = this.tables.get(bucket)!;
    const examples: Example[] = [];
    for (let r = 0; r < this.spec.batch; r++) {
      let ex: Example | null = null;
      for (let attempt = 0; !ex; attempt++) {
        if (attempt >= 64)
          throw new DsabenchError('E_CONFIG_INVALID', `could not draw an example that fits ${bucket} tokens after 64 tries`, { field: 'lengths' });
        const task = draw(rng, table.tasks, table.cum);
        ex = makeExample(task, mixSeed(this.spec.seed, index, r, attempt), bucket);
      }
      examples.push(ex);
    }
    return { bucket, examples };
  }

  batch(index: number): Batch {
    const { bucket, examples } = this.examples(index);
    return packBatch(examples, bucket, this.spec.promptWeight, this.spec.answerWeight);
  }
}

/** Rows of [prompt | answer] with next-token targets, padded to the longest row. */
export function packBatch(examples: readonly Example[], bucket: number, promptWeight: number, answerWeight: number): Batch {
  const B = examples.length;
  const L = Math.max(...examples.map((e) => e.promptTokens.length + e.answerTokens.length - 1));
  const tokens = new Int32Array(B * L).fill(-1);
  const targets = new Int32Array(B * L).fill(-1);
  const weights = new Float32Array(B * L);
  let realTokens = 0;
  examples.forEach((e, r) => {
    const seq = [...e.promptTokens, ...e.answerTokens];
    const n = seq.length - 1;
    const p = e.promptTokens.length;
    for (let i = 0; i < n; i++) {
      tokens[r * L + i] = seq[i]!;
      targets[r * L + i] = seq[i + 1]!;
      // target i+1 is an answer token (or <|eos|>) once i+1 ≥ p
      weights[r * L + i] = i + 1 >= p ? answerWeight : promptWeight;
    }
    realTokens += n;
  });
  return { tokens, targets, weights, batch: B, length: L, bucket, tasks: examples.map((e) => e.task), realTokens };
}

/**
 * Held-out examples for measuring accuracy during or after training: seeded from a range
 * disjoint from the training streams (and from the evaluation suite's generator seeds).
 */
export function* exampleStream(opts: { seed: number; lengths: readonly number[]; tasks: readonly MixtureTask[] }): Generator<Example> {
  for (let i = 0; ; i++) {
    const rng = mulberry32(mixSeed(2_000_000 + opts.seed, i));
    const L = opts.lengths[i % opts.lengths.length]!;
    const task = opts.tasks[Math.floor(i / opts.lengths.length) % opts.tasks.length]!;
    let ex: Example | null = null;
    for (let attempt = 0; !ex; attempt++) {
      if (attempt >= 64) throw new DsabenchError('E_OPTION', `${task} does not fit in ${L} tokens`, { field: 'lengths' });
      ex = makeExample(task, mixSeed(2_000_000 + opts.seed, i, attempt, Math.floor(rng() * 2 ** 32)), L);
    }
    yield ex;
  }
}
