// Standard input can be read only once: a command refuses two inputs that both name it ('-').

import { UsageError } from './usage-error.js';

/**
 * Throws UsageError when more than one of a command's inputs is '-': `inputs` are [the option
 * (or argument) as the message names it, the paths it was given].
 */
export function checkOneStandardInput(inputs: [string, readonly string[] | string | undefined][]): void {
  const readers = inputs.flatMap(([name, paths]) => [paths ?? []].flat().filter((p) => p === '-').map(() => name));
  if (readers.length > 1) throw new UsageError(`${readers[0]} - and ${readers[1]} - both read standard input`);
}
