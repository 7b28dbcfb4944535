/**
 * `dsabench serve`: the built-in model behind an OpenAI-compatible HTTP API (src/serve/),
 * so other tools — and dsabench's own `openai` provider — can evaluate it.
 */
import type { Command } from 'commander';
import { DsabenchError } from '../errors.js';
import type { CommandModule } from './command.js';

interface ServeFlags {
  model: string;
  port: string;
  host: string;
  workers?: string;
  name?: string;
}

function intFlag(v: string, name: string, lo: number, hi: number): number {
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < lo || n > hi) throw new DsabenchError('E_USAGE', `--${name} must be an integer in ${lo}..${hi}, got '${v}'`, { field: name });
  return n;
}

export interface ServeHandle {
  url: string;
  close(): Promise<void>;
}

/** Starts the server (model loaded first, so a bad model fails before listening). */
export async function serveAction(o: ServeFlags, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<ServeHandle> {
  const port = intFlag(o.port, 'port', 0, 65535);
  const workers = o.workers === undefined ? undefined : intFlag(o.workers, 'workers', 1, 1024);
  const spec = o.model === 'native' || o.model.startsWith('native:') ? o.model : `native:${o.model}`;
  const { createNativeProvider } = await import('../providers/native.js');
  const { startServer } = await import('../serve/server.js');
  const provider = await createNativeProvider(spec === 'native' ? '' : spec.slice('native:'.length), workers === undefined ? {} : { config: { concurrency: workers } });
  const name = o.name ?? provider.model;
  let running: Awaited<ReturnType<typeof startServer>>;
  try {
    running = await startServer({
      engine: { model: name, generate: (req, hooks) => provider.generate(req, hooks), ...(provider.contextLength !== undefined ? { contextLength: provider.contextLength } : {}) },
      host: o.host,
      port,
      aliases: [provider.model, provider.id, spec],
    });
  } catch (e) {
    await provider.close();
    throw new DsabenchError('E_USAGE', `cannot listen on ${o.host}:${port}: ${(e as Error).message}`, { field: 'port', cause: e });
  }
  log(`dsabench serve: ${provider.id} as model "${name}" (${provider.workers} worker${provider.workers === 1 ? '' : 's'}, ${provider.threads} thread${provider.threads === 1 ? '' : 's'} each)`);
  log(`listening on ${running.url}  (POST /chat/completions, GET /models; Ctrl-C stops)`);
  let closing: Promise<void> | null = null;
  return {
    url: running.url,
    close: () => {
      closing ??= running.close().then(() => provider.close());
      return closing;
    },
  };
}

const cmd: CommandModule = {
  register(program: Command) {
    program
      .command('serve')
      .description('Serve the built-in model over an OpenAI-compatible API: /v1/chat/completions (JSON or SSE streaming, usage) and /v1/models.')
      .option('--model <spec>', 'native:<model>[?attention=dense|sparse&topk=N&threads=N] (a name under data/models/ or a model directory)', 'native')
      .option('--port <n>', 'TCP port (0 = any free port)', '8000')
      .option('--host <addr>', 'address to listen on', '127.0.0.1')
      .option('--workers <n>', 'worker threads, one request each (default: cores / threads per request; all requests together never use more threads than cores)')
      .option('--name <name>', 'model name clients send and /v1/models lists (default: the model spec\'s name)')
      .addHelpText(
        'after',
        `
Examples:
  $ dsabench serve --port 8000
  $ dsabench serve --model 'native:dsa-mini?attention=dense' --port 8001
  $ curl -s http://127.0.0.1:8000/v1/chat/completions -H 'content-type: application/json' \\
      -d '{"model":"dsa-mini","messages":[{"role":"user","content":"Hi"}],"max_tokens":32}'
  $ dsabench run --suite long-context --provider openai:dsa-mini@http://127.0.0.1:8000/v1

Limits: a prompt of as many tokens as the model's context (max_position_embeddings) or more
is a 400 context_length_exceeded, refused before generating; a request body over 32 MiB is a
413, sent as soon as the limit is passed (the rest of the body is read and dropped, so the
client gets the answer, not a reset).`,
      )
      .action(async (o: ServeFlags) => {
        const handle = await serveAction(o);
        await new Promise<void>((resolve) => {
          const stop = (sig: NodeJS.Signals): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            process.stderr.write(`dsabench serve: ${sig}, shutting down\n`);
            void handle.close().then(resolve, resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      });
  },
};

export default cmd;
