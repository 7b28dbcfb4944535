/**
 * Attention benchmark from the repository: the same as `dsabench bench attention`.
 *
 *   npm run build && npm run build:native
 *   node dist/bench/attention.js --threads 2 --json results/bench-attention.json
 *
 * All flags are those of the CLI subcommand (`dsabench bench attention --help`).
 */
import { main } from '../src/cli/main.js';

process.exitCode = await main([process.argv[0]!, 'dsabench', 'bench', 'attention', ...process.argv.slice(2)]);
