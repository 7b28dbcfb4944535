/** `dsabench list [suites|loaders|scorers|providers]`: what is available to `dsabench run`. */
import type { Command } from 'commander';
import type { CommandModule } from './command.js';
import { collect, table } from './flags.js';

function write(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text);
}

const cmd: CommandModule = {
  register(program: Command): void {
    const list = program
      .command('list')
      .description('List built-in and user suites, file loaders, scorers and provider kinds')
      .addHelpText('after', `
Examples:
  $ dsabench list suites
  $ dsabench list suites --dir ./my-suites
  $ dsabench list loaders
  $ dsabench list loaders mbpp
  $ dsabench list scorers
  $ dsabench list providers --json`)
      // Bare `dsabench list` says what can be listed (exit 0) instead of failing on a missing subcommand.
      .action(() => {
        const rows = list.commands.filter((c) => c.name() !== 'help').map((c) => [`dsabench list ${c.name()}`, c.description()]);
        process.stdout.write('What can be listed:\n' + table(['command', 'what it lists'], rows));
      });

    list
      .command('suites')
      .description('Built-in suites (data/suites/) and suites in folders given with --dir')
      .option('--dir <folder>', 'a suite folder or a folder of suite folders (repeatable)', collect)
      .option('--json', 'JSON output')
      .addHelpText('after', `
Examples:
  $ dsabench list suites
  $ dsabench list suites --dir ./my-suites --dir ../other-suite`)
      .action(async (opts: { dir?: string[]; json?: boolean }) => {
        // Registries are imported when used: other commands do not load them.
        const { listSuites } = await import('../suites/load.js');
        const suites = listSuites(opts.dir ?? []);
        const rows = suites.map((s) => [s.name, s.kind, String(s.items), s.builtin ? 'built-in' : 'user', s.error ? `INVALID: ${s.error}` : (s.description ?? '')]);
        write(Boolean(opts.json), suites, table(['suite', 'kind', 'items', 'where', 'description'], rows));
      });

    list
      .command('loaders')
      .description('File loaders for <loader>:<file> suite specs and suite.json "loader": what each reads, an example, its options')
      .argument('[name]', 'one loader')
      .option('--json', 'JSON output')
      .addHelpText('after', `
Examples:
  $ dsabench list loaders
  $ dsabench list loaders evalplus
  $ dsabench run -s mbpp:mbpp.jsonl?split=test -p oracle`)
      .action(async (name: string | undefined, opts: { json?: boolean }) => {
        const { loaderDescriptions } = await import('./loaders-text.js');
        const { text, json } = loaderDescriptions(name);
        write(Boolean(opts.json), json, text);
      });

    list
      .command('scorers')
      .description('Scorer names usable in suite.json "scorer.name" and dsabench score --scorer')
      .option('--json', 'JSON output')
      .addHelpText('after', '\nExamples:\n  $ dsabench list scorers')
      .action(async (opts: { json?: boolean }) => {
        const { scorerNames } = await import('../scorers/index.js');
        const names = scorerNames();
        write(Boolean(opts.json), names, names.join('\n') + '\n');
      });

    list
      .command('providers')
      .description('Provider spec forms accepted by dsabench run --provider')
      .option('--json', 'JSON output')
      .addHelpText('after', '\nExamples:\n  $ dsabench list providers')
      .action(async (opts: { json?: boolean }) => {
        const { providerForms } = await import('../providers/index.js');
        const forms = providerForms();
        const specs = forms.map((f) => f.spec);
        const rows = forms.map((f) => [f.spec, f.what]);
        write(Boolean(opts.json), specs, table(['provider spec', 'what it does'], rows));
      });
  },
};

export default cmd;
