/**
 * RULER-style synthetic tasks (Hsieh et al. 2024), rebuilt on our own haystack text.
 *
 * niah_*: "needle in a haystack": needles "One of the special magic {numbers|uuids} for {key}
 *         is: {value}." hidden in noise, prose or other needles; the question asks for the
 *         value(s) of one or more keys. The first needle sits at the item's depth, the others
 *         at seeded random depths.
 * vt:     variable tracking: a chain VAR A = 12345, VAR B = VAR A, … spread through noise;
 *         the answer is every variable holding the value.
 * cwe:    common words: 10 words repeated often among rarer pseudo-words; name the 10.
 * fwe:    frequent words: a Zipf-like stream of coded words; name the 3 most frequent.
 */
import type { Rng } from '../math/generators.js';
import { mulberry32 } from '../../util/stats.js';
import type { Layout, Piece } from './fit.js';
import {
  COMMON_WORDS, NOISE_SENTENCES, proseSentence, pseudoWord, sevenDigits, uuid, varName, wordKey,
} from './text.js';

export const TASKS = [
  'niah_single_1', 'niah_single_2', 'niah_single_3',
  'niah_multikey_1', 'niah_multikey_2', 'niah_multikey_3',
  'niah_multivalue', 'niah_multiquery', 'vt', 'cwe', 'fwe',
] as const;
export type TaskName = (typeof TASKS)[number];

export interface TaskInstance {
  layout: Layout;
  /** What the output must contain (string_match_all references). */
  answers: string[];
  /** Tokens reserved for the answer (RULER's tokens_to_generate). */
  answerBudget: number;
  /** Depth of the (first) needle in [0, 1], null for tasks without one. */
  depth: number | null;
  haystack: 'noise' | 'essay' | 'needle' | 'words';
}

/** Filler units by index, generated once and reused, with a cursor for fresh units. */
class Filler {
  private readonly units: string[] = [];
  private cursor = 0;
  constructor(private readonly make: (i: number) => string) {}
  at(i: number): string {
    while (this.units.length <= i) this.units.push(this.make(this.units.length));
    return this.units[i]!;
  }
  take(start: number, k: number): string[] {
    const out: string[] = [];
    for (let i = start; i < start + k; i++) out.push(this.at(i));
    this.cursor = Math.max(this.cursor, start + k);
    return out;
  }
  build(n: number): string[] {
    this.cursor = n;
    return this.take(0, n);
  }
  more(k: number): string[] {
    return this.take(this.cursor, k);
  }
}

interface Insertion {
  depth: number;
  text: string;
}

/** A layout whose context is filler units with needles inserted at round(depth × n). */
function depthLayout(prefix: string, suffix: string, filler: Filler, insertions: Insertion[]): Layout {
  return {
    prefix,
    suffix,
    build(n) {
      const units = filler.build(n);
      const byIndex = new Map<number, string[]>();
      for (const ins of insertions) {
        const at = Math.round(ins.depth * n);
        byIndex.set(at, [...(byIndex.get(at) ?? []), ins.text]);
      }
      const pieces: Piece[] = [];
      for (let i = 0; i <= n; i++) {
        for (const t of byIndex.get(i) ?? []) pieces.push({ text: t, removable: false });
        if (i < n) pieces.push({ text: units[i]!, removable: true });
      }
      return pieces;
    },
    more: (k) => filler.more(k).map((text) => ({ text, removable: true })),
    sample: (k) => filler.take(0, k),
  };
}

function noiseFiller(rng: Rng): Filler {
  const offset = Math.floor(rng() * NOISE_SENTENCES.length);
  return new Filler((i) => NOISE_SENTENCES[(offset + i) % NOISE_SENTENCES.length]!);
}

function essayFiller(rng: Rng): Filler {
  const r = mulberry32(Math.floor(rng() * 2 ** 32));
  return new Filler(() => proseSentence(r));
}

const needleText = (type: string, key: string, value: string): string => ` One of the special magic ${type} for ${key} is: ${value}.`;

function listPhrase(xs: readonly string[]): string {
  if (xs.length === 1) return xs[0]!;
  return `${xs.slice(0, -1).join(', ')}, and ${xs[xs.length - 1]}`;
}

interface NiahConfig {
  haystack: 'noise' | 'essay' | 'needle';
  key: 'words' | 'uuids';
  value: 'numbers' | 'uuids';
  keys: number;
  values: number;
  queries: number;
}

const NIAH: Record<string, NiahConfig> = {
  niah_single_1: { haystack: 'noise', key: 'words', value: 'numbers', keys: 1, values: 1, queries: 1 },
  niah_single_2: { haystack: 'essay', key: 'words', value: 'numbers', keys: 1, values: 1, queries: 1 },
  niah_single_3: { haystack: 'essay', key: 'words', value: 'uuids', keys: 1, values: 1, queries: 1 },
  niah_multikey_1: { haystack: 'essay', key: 'words', value: 'numbers', keys: 4, values: 1, queries: 1 },
  niah_multikey_2: { haystack: 'needle', key: 'words', value: 'numbers', keys: 1, values: 1, queries: 1 },
  niah_multikey_3: { haystack: 'needle', key: 'uuids', value: 'uuids', keys: 1, values: 1, queries: 1 },
  niah_multivalue: { haystack: 'essay', key: 'words', value: 'numbers', keys: 1, values: 4, queries: 1 },
  niah_multiquery: { haystack: 'essay', key: 'words', value: 'numbers', keys: 4, values: 1, queries: 4 },
};

function niah(cfg: NiahConfig, rng: Rng, depth: number): TaskInstance {
  const makeKey = (): string => (cfg.key === 'words' ? wordKey(rng) : uuid(rng));
  const makeValue = (r: Rng): string => (cfg.value === 'numbers' ? sevenDigits(r) : uuid(r));
  const keys: string[] = [];
  while (keys.length < Math.max(cfg.keys, cfg.queries)) {
    const k = makeKey();
    if (!keys.includes(k)) keys.push(k);
  }
  const values = keys.map(() => Array.from({ length: cfg.values }, () => makeValue(rng)));
  const insertions: Insertion[] = [];
  keys.forEach((k, i) => values[i]!.forEach((v, j) => insertions.push({ depth: i === 0 && j === 0 ? depth : rng(), text: needleText(cfg.value, k, v) })));
  const queried = keys.slice(0, cfg.queries);
  const answers = values.slice(0, cfg.queries).flat();
  let filler: Filler;
  if (cfg.haystack === 'noise') filler = noiseFiller(rng);
  else if (cfg.haystack === 'essay') filler = essayFiller(rng);
  else {
    // a haystack made of other needles: distractor keys never equal a real key
    const r = mulberry32(Math.floor(rng() * 2 ** 32));
    const real = new Set(keys);
    filler = new Filler(() => {
      for (;;) {
        const k = cfg.key === 'words' ? wordKey(r) : uuid(r);
        if (!real.has(k)) return needleText(cfg.value, k, makeValue(r));
      }
    });
  }
  const prefix = `Some special magic ${cfg.value} are hidden within the following text. Make sure to memorize it. I will quiz you about the ${cfg.value} afterwards.\n`;
  const suffix = `\nWhat are all the special magic ${cfg.value} for ${listPhrase(queried)} mentioned in the provided text?`;
  return { layout: depthLayout(prefix, suffix, filler, insertions), answers, answerBudget: answerBudget('niah_single_1'), depth, haystack: cfg.haystack };
}

function variableTracking(rng: Rng): TaskInstance {
  const hops = 4;
  const names: string[] = [];
  while (names.length < hops + 1) {
    const v = varName(rng);
    if (!names.includes(v)) names.push(v);
  }
  const value = String(10000 + Math.floor(rng() * 90000));
  const insertions: Insertion[] = names.map((name, i) => ({
    depth: (i + 0.5) / names.length,
    text: i === 0 ? ` VAR ${name} = ${value}.` : ` VAR ${name} = VAR ${names[i - 1]}.`,
  }));
  const prefix = 'Memorize and track the chain of variable assignments hidden in the following text.\n';
  const suffix = `\nQuestion: Find all variables that are assigned the value ${value} in the text above.`;
  return { layout: depthLayout(prefix, suffix, noiseFiller(rng), insertions), answers: names, answerBudget: answerBudget('vt'), depth: null, haystack: 'noise' };
}

function shuffle<T>(xs: T[], rng: Rng): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** Fresh pseudo-words, never repeating one already used in this item. */
function wordSource(rng: Rng, used: Set<string>, syllables: number): () => string {
  let misses = 0;
  return () => {
    for (;;) {
      const w = pseudoWord(rng, syllables);
      if (!used.has(w)) {
        used.add(w);
        return w;
      }
      // the space of short words is running out: lengthen them rather than loop forever
      if (++misses > 200) {
        syllables++;
        misses = 0;
      }
    }
  };
}

/** A word list whose `build(n)` is deterministic in n (same seed → same list). */
function wordListLayout(prefix: string, suffix: string, seed: number, fixed: string[], fillerFor: (n: number) => string[], fresh: () => string): Layout {
  return {
    prefix,
    suffix,
    build(n) {
      const pieces: Piece[] = [
        ...fixed.map((w) => ({ text: ` ${w}`, removable: false })),
        ...fillerFor(n).map((w) => ({ text: ` ${w}`, removable: true })),
      ];
      return shuffle(pieces, mulberry32(seed));
    },
    more: (k) => Array.from({ length: k }, () => ({ text: ` ${fresh()}`, removable: true })),
    sample: (k) => fillerFor(k).slice(0, k).map((w) => ` ${w}`),
  };
}

function commonWords(rng: Rng, limit: number): TaskInstance {
  const common = shuffle([...COMMON_WORDS], rng).slice(0, 10);
  // RULER: each common word 30 times, each rare word 3 times; scaled down for short prompts
  const freqCommon = Math.max(4, Math.min(30, Math.floor((limit * 0.3) / 20)));
  const freqRare = Math.min(3, freqCommon - 2);
  const used = new Set<string>(COMMON_WORDS);
  const vocabSeed = Math.floor(rng() * 2 ** 32);
  const vocab: string[] = [];
  const nextVocab = wordSource(mulberry32(vocabSeed), used, 3);
  const fillerFor = (n: number): string[] => {
    const distinct = Math.ceil(n / freqRare);
    while (vocab.length < distinct) vocab.push(nextVocab());
    const out: string[] = [];
    for (let i = 0; out.length < n; i++) out.push(vocab[i % distinct]!);
    return out;
  };
  const fixed = common.flatMap((w) => Array.from({ length: freqCommon }, () => w));
  const layout = wordListLayout(
    'Below is a list of words. Some of them appear more often than others. Memorize the ones that appear most often.\n',
    '\nQuestion: What are the 10 most common words in the list above?',
    Math.floor(rng() * 2 ** 32),
    fixed,
    fillerFor,
    nextVocab,
  );
  return { layout, answers: common, answerBudget: answerBudget('cwe'), depth: null, haystack: 'words' };
}

function frequentWords(rng: Rng): TaskInstance {
  const used = new Set<string>();
  const next = wordSource(mulberry32(Math.floor(rng() * 2 ** 32)), used, 2);
  const top = [next(), next(), next()];
  const others: string[] = [];
  const layoutSeed = Math.floor(rng() * 2 ** 32);
  let fixedN = 0;
  const countsFor = (n: number): number[] => {
    // top three: ~12%, 9%, 6% of the stream; the rest decay from below the third
    const c3 = Math.max(3, Math.ceil(0.06 * n) + 2);
    return [Math.ceil(0.12 * n) + 6, Math.ceil(0.09 * n) + 4, c3];
  };
  let topCounts = countsFor(0);
  const fillerFor = (n: number): string[] => {
    const c3 = topCounts[2]!;
    const out: string[] = [];
    for (let i = 0; out.length < n; i++) {
      while (others.length <= i) others.push(next());
      // a slow Zipf-like decay starting well below the third word's count
      const c = Math.max(2, Math.floor((0.6 * c3) / (1 + i / 8)));
      for (let j = 0; j < c && out.length < n; j++) out.push(others[i]!);
    }
    return out;
  };
  const layout: Layout = {
    prefix: 'Read the following coded text and keep track of how often each coded word occurs. You will be asked for the three most frequent coded words.\n',
    suffix: '\nQuestion: Without any explanation, what are the three most frequently occurring coded words in the text above?',
    build(n) {
      // the top-three counts grow with the stream so they stay clearly ahead of the rest
      topCounts = countsFor(n);
      fixedN = topCounts.reduce((a, b) => a + b, 0);
      const pieces: Piece[] = [
        ...top.flatMap((w, r) => Array.from({ length: topCounts[r]! }, () => ({ text: ` ${w}`, removable: false }))),
        ...fillerFor(Math.max(0, n - fixedN)).map((w) => ({ text: ` ${w}`, removable: true })),
      ];
      return shuffle(pieces, mulberry32(layoutSeed));
    },
    more: (k) => Array.from({ length: k }, () => ({ text: ` ${next()}`, removable: true })),
    // words like the stream's, from a separate stream so sampling does not change the item
    sample: (k) => {
      const r = mulberry32(layoutSeed ^ 0x5bd1e995);
      return Array.from({ length: k }, () => ` ${pseudoWord(r, 2)}`);
    },
  };
  return { layout, answers: top, answerBudget: answerBudget('fwe'), depth: null, haystack: 'words' };
}

/** Tokens reserved for the answer, RULER's tokens_to_generate per task. */
export function answerBudget(task: TaskName): number {
  if (task === 'vt') return 30;
  if (task === 'cwe') return 120;
  if (task === 'fwe') return 50;
  return 128;
}

/** One task instance; `limit` (prompt token budget) sizes the common-word frequencies. */
export function makeTask(task: TaskName, rng: Rng, depth: number, limit: number): TaskInstance {
  if (task in NIAH) return niah(NIAH[task]!, rng, depth);
  if (task === 'vt') return variableTracking(rng);
  if (task === 'cwe') return commonWords(rng, limit);
  return frequentWords(rng);
}
