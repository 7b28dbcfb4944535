/**
 * Generators (seeded item makers) and loaders (user files in standard layouts), by name.
 * `suite.json` names a generator (`"generator": {"name": "math", "seed": 1}`) or a loader;
 * a `<loader>:<file>` suite spec picks a loader directly (`gsm8k:test.jsonl`).
 */
import type { ItemGenerator, ItemLoader } from '../types.js';

export const GENERATORS: Record<string, ItemGenerator> = {
};

export const LOADERS: Record<string, ItemLoader> = {
};
