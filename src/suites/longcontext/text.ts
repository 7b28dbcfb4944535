/**
 * Haystack text written for dsabench (no third-party prose): a short cycle of plain noise
 * sentences, a seeded prose generator that strings together sentences from slot templates
 * about an imaginary harbour town, word lists for needle keys and common-word lists, and a
 * pseudo-word maker for the word-frequency tasks.
 *
 * Every filler unit starts with a space and ends with a period, so the DeepSeek-V3
 * pre-tokenizer splits at unit boundaries and unit token counts add up exactly.
 */
import type { Rng } from '../math/generators.js';

export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

/** Plain repeated noise (the `noise` haystack). */
export const NOISE_SENTENCES: readonly string[] = [
  ' The kettle sits on the stove.',
  ' The window faces the hill.',
  ' A clock ticks in the hall.',
  ' The path bends near the gate.',
  ' Rain taps on the roof.',
  ' The lamp stays lit all night.',
  ' Bread cools on the shelf.',
  ' Here the road goes on.',
];

const SUBJECTS = [
  'The harbour master', 'An old ferry captain', 'The baker on Mill Street', 'A group of students', 'The town council',
  'My neighbour', 'The night watchman', 'A travelling painter', 'The librarian', 'Two fishermen', 'The gardener',
  'A retired engineer', 'The school choir', 'The lighthouse keeper', 'A young carpenter', 'The market traders',
];
const VERBS = [
  'repaired', 'talked about', 'painted', 'measured', 'counted', 'walked past', 'wrote a note about', 'photographed',
  'cleaned', 'planned a visit to', 'argued over', 'sketched', 'carried supplies to', 'looked after', 'rebuilt', 'visited',
];
const OBJECTS = [
  'the stone bridge', 'the north pier', 'a row of lemon trees', 'the broken weather vane', 'the covered market',
  'the long sea wall', 'the tide tables', 'a boat with a green hull', 'the clock tower', 'the salt marsh',
  'the reading room', 'the ropes in the boathouse', 'the orchard behind the chapel', 'the bell of the old school',
  'a crate of winter apples', 'the narrow lane by the mill',
];
const TIMES = [
  'before sunrise', 'on a windy afternoon', 'after the autumn fair', 'during the long winter', 'every second Tuesday',
  'while the tide was out', 'late in the evening', 'at the start of spring', 'when the fog lifted', 'after a week of rain',
];
const CODAS = [
  'Nobody was in a hurry.', 'It took longer than expected.', 'Everyone agreed it was worth the effort.',
  'The work was slow but steady.', 'Few people noticed at the time.', 'The result pleased the whole street.',
  'Some of the details were written down.', 'It became a small local story.', 'The weather did not help.',
  'Later that year it happened again.',
];

/** One prose unit: a sentence (sometimes two) from the slot templates. */
export function proseSentence(rng: Rng): string {
  const main = ` ${pick(rng, SUBJECTS)} ${pick(rng, VERBS)} ${pick(rng, OBJECTS)} ${pick(rng, TIMES)}.`;
  return rng() < 0.35 ? `${main} ${pick(rng, CODAS)}` : main;
}

export const ADJECTIVES: readonly string[] = [
  'amber', 'brave', 'calm', 'dusty', 'eager', 'faint', 'gentle', 'hollow', 'icy', 'jolly', 'keen', 'lively', 'misty',
  'narrow', 'odd', 'plain', 'quiet', 'rapid', 'silent', 'tidy', 'upper', 'vivid', 'warm', 'young', 'zesty', 'bold',
  'crisp', 'damp', 'early', 'fuzzy', 'grand', 'humble', 'idle', 'jagged', 'kind', 'loud', 'mellow', 'noble', 'olive',
  'proud', 'rustic', 'shiny', 'tender', 'urban', 'velvet', 'wild', 'yellow', 'clever', 'sturdy', 'gloomy',
];
export const NOUNS: readonly string[] = [
  'anchor', 'basket', 'candle', 'desk', 'engine', 'feather', 'garden', 'harbor', 'island', 'jacket', 'kettle', 'ladder',
  'meadow', 'needle', 'orchard', 'pebble', 'quarry', 'river', 'saddle', 'tunnel', 'umbrella', 'valley', 'wagon',
  'yard', 'zipper', 'bridge', 'cabin', 'dune', 'ember', 'forest', 'glacier', 'hammer', 'igloo', 'jungle', 'kite',
  'lantern', 'mirror', 'nest', 'oven', 'piano', 'quilt', 'rocket', 'shovel', 'teapot', 'violin', 'window', 'barrel',
  'canyon', 'falcon', 'marble',
];

/** `adjective-noun` keys, as needle keys. */
export function wordKey(rng: Rng): string {
  return `${pick(rng, ADJECTIVES)}-${pick(rng, NOUNS)}`;
}

/** Real English words for the common-words task (the 10 answers come from here). */
export const COMMON_WORDS: readonly string[] = [
  'apple', 'bread', 'chair', 'dog', 'earth', 'flower', 'glass', 'house', 'ink', 'juice', 'king', 'lemon', 'music',
  'night', 'ocean', 'paper', 'queen', 'road', 'stone', 'table', 'uncle', 'voice', 'water', 'year', 'zebra', 'bottle',
  'cloud', 'door', 'egg', 'farm', 'gold', 'horse', 'iron', 'joke', 'knife', 'leaf', 'money', 'nose', 'oil', 'pencil',
  'rice', 'salt', 'train', 'wheel', 'wood', 'shoe', 'snow', 'star', 'tree', 'milk',
];

const CONS = 'bcdfghjklmnprstvz';
const VOWELS = 'aeiou';

/** A pronounceable pseudo-word of `syllables` consonant-vowel pairs (`tavoki`), never an English word list entry. */
export function pseudoWord(rng: Rng, syllables = 3): string {
  let w = '';
  for (let i = 0; i < syllables; i++) w += pick(rng, [...CONS]) + pick(rng, [...VOWELS]);
  return w;
}

/** 7-digit numbers, as RULER's numeric needles. */
export function sevenDigits(rng: Rng): string {
  return String(1_000_000 + Math.floor(rng() * 9_000_000));
}

/** A v4-style UUID from the seeded PRNG. */
export function uuid(rng: Rng): string {
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(rng() * 4)]}${hex(3)}-${hex(12)}`;
}

/** Five upper-case letters, a variable name for the variable-tracking task. */
export function varName(rng: Rng): string {
  return Array.from({ length: 5 }, () => String.fromCharCode(65 + Math.floor(rng() * 26))).join('');
}
