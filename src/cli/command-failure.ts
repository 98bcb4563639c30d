/** A command ends with this exit status and one line on standard error (main.ts prints it). */
export class CommandFailure extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}
