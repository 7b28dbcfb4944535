import type { Command } from 'commander';

/** One CLI command module: adds its command(s) to the program. */
export interface CommandModule {
  register(program: Command): void;
}
