// Errors of the core's host side (a file of their own so capacity.ts and core.ts can share them).

/** The core cannot be created or refused a request: bad input, exit 2 on the command line. */
export class CoreError extends Error {}

/** A capacity (--ct-max, --max-backends, ...) is not a valid number, too large, or too small. */
export class CapacityError extends CoreError {}
