// The error every subcommand throws for bad usage or bad input: main() prints its message in one
// line and exits 2.

/** Bad usage or bad input: exit 2. */
export class UsageError extends Error {}
