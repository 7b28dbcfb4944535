/**
 * Generators (seeded item makers) and loaders (user files in standard layouts), by name.
 * `suite.json` names a generator (`"generator": {"name": "math", "seed": 1}`) or a loader;
 * a `<loader>:<file>` suite spec picks a loader directly (`gsm8k:test.jsonl`).
 */
import type { ItemGenerator, ItemLoader } from '../types.js';
import { mathGenerator } from './math/generate.js';
import { aimeLoader, gsm8kLoader, math500Loader, mathLoader } from './math/loaders.js';
import { longContextGenerator } from './longcontext/generate.js';
import { longbench2Loader } from './longcontext/longbench2.js';
import { humanevalLoader, livecodebenchLoader, mbppLoader } from './code/loaders.js';
import { evalplusLoader } from './code/evalplus.js';
import { terminalLoader } from './terminal/tasks.js';

export const GENERATORS: Record<string, ItemGenerator> = {
  math: mathGenerator,
  'long-context': longContextGenerator,
};

export const LOADERS: Record<string, ItemLoader> = {
  gsm8k: gsm8kLoader,
  math: mathLoader,
  math500: math500Loader,
  aime: aimeLoader,
  longbench2: longbench2Loader,
  humaneval: humanevalLoader,
  mbpp: mbppLoader,
  evalplus: evalplusLoader,
  livecodebench: livecodebenchLoader,
  terminal: terminalLoader,
  'terminal-bench': terminalLoader,
  harbor: terminalLoader,
};
