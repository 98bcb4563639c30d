// Command-line arguments of the benchmarks, read by Node's util.parseArgs: `--name value` options,
// `--name` switches and positional arguments. -h / --help prints the usage on standard output and
// exits 0; an unknown option, a missing value or too many positional arguments print the usage on
// standard error and exit 2.

import { parseArgs as nodeParseArgs } from 'node:util';

/** Option names (with their dashes) and whether each takes a value. */
export type OptionSpec = Record<string, 'value' | 'switch'>;

export interface ParsedArgs {
  /** The value of an option given with one (the last, when repeated); undefined when absent. */
  value(name: string): string | undefined;
  /** Whether a switch was given. */
  has(name: string): boolean;
  positional: string[];
}

/** Parses `argv` (without node and the script) by `spec`, or exits as the top of this file says. */
export function parseArgs(argv: readonly string[], spec: OptionSpec, usage: string, maxPositional = 0): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, kind] of Object.entries(spec)) options[name.replace(/^--/, '')] = { type: kind === 'value' ? 'string' : 'boolean' };
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (e) {
    return fail(usage, message(e as Error));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  if (parsed.positionals.length > maxPositional) fail(usage, `unexpected argument ${parsed.positionals[maxPositional]}`);
  return {
    value: (n) => (typeof values[n.replace(/^--/, '')] === 'string' ? (values[n.replace(/^--/, '')] as string) : undefined),
    has: (n) => values[n.replace(/^--/, '')] === true,
    positional: parsed.positionals,
  };
}

/** util.parseArgs's error as this runner words it ("unknown option --x", "--x needs a value"). */
function message(e: Error): string {
  const unknown = /Unknown option '([^']+)'/.exec(e.message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(e.message);
  if (missing) return `${missing[1]} needs a value`;
  return e.message.split('\n')[0]!;
}

function fail(usage: string, msg: string): never {
  process.stderr.write(`${msg}\n${usage}\n`);
  process.exit(2);
}
