// The `spirit` command line (contract: spec/cli.md). Each command lives in its own file in ./commands and
// exports `register(program)`; commands import their implementation lazily so start-up stays fast.
// Exit codes: 0 success, 2 bad input (InputError), 1 anything else.
import { Command, CommanderError } from 'commander';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

export async function buildProgram(): Promise<Command> {
  const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8')) as { version: string };
  const program = new Command('spirit')
    .description('Fair allocation of cache and bandwidth for remote-memory applications (Spirit, SOSP 2025)')
    .version(pkg.version, '-V, --version', 'the version of spirit-ts')
    .showHelpAfterError()
    .exitOverride();
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
  for (const f of files) {
    const mod = (await import(join(dir, f))) as { register?: (p: Command) => void };
    mod.register?.(program);
  }
  return program;
}

export function reportError(err: unknown): number {
  if (err instanceof InputError) {
    process.stderr.write(`spirit: bad input: ${err.message}\n`);
    return EXIT_BAD_INPUT;
  }
  if (err instanceof CommanderError) {
    // usage errors (unknown option, missing argument) are bad input too; commander already printed them
    if (err.exitCode === 0) return EXIT_OK;
    return EXIT_BAD_INPUT;
  }
  const e = err as Error;
  process.stderr.write(`spirit: ${e?.stack ?? String(err)}\n`);
  return EXIT_FAILURE;
}

async function main(): Promise<void> {
  try {
    const program = await buildProgram();
    await program.parseAsync(process.argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

await main();
