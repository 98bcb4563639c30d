// Command-line arguments of the benchmarks: `--name value` options, `--name` switches and
// positional arguments. -h / --help prints the usage on standard output and exits 0; an unknown
// option, a missing value or too many positional arguments print the usage on standard error and
// exit 2.

/** Option names (with their dashes) and whether each takes a value. */
export type OptionSpec = Record<string, 'value' | 'switch'>;

export interface ParsedArgs {
  /** The value of an option given with one; undefined when absent. */
  value(name: string): string | undefined;
  /** Whether a switch was given. */
  has(name: string): boolean;
  positional: string[];
}

/** Parses `argv` (without node and the script) by `spec`, or exits as the top of this file says. */
export function parseArgs(argv: readonly string[], spec: OptionSpec, usage: string, maxPositional = 0): ParsedArgs {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const positional: string[] = [];
  const fail = (msg: string): never => {
    process.stderr.write(`${msg}\n${usage}\n`);
    process.exit(2);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    const kind = spec[a];
    if (kind === 'switch') switches.add(a);
    else if (kind === 'value') {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      values.set(a, v);
    } else if (a.startsWith('-') && a !== '-') fail(`unknown option ${a}`);
    else if (positional.length < maxPositional) positional.push(a);
    else fail(`unexpected argument ${a}`);
  }
  return { value: (n) => values.get(n), has: (n) => switches.has(n), positional };
}
