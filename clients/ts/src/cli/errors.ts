/**
 * How the CLI fails: one error type for what the user can fix (bad
 * arguments, a bad input file, a refusal from the server), each with its
 * exit code, and one function that prints any error as one clear line,
 * never a stack trace (set IMPOSSIBLEDB_DEBUG=1 to see one).
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** Exit codes of the CLI. */
export const EXIT = {
  /** Everything worked. */
  ok: 0,
  /** The server refused or failed a call, or some documents were not written. */
  failed: 1,
  /** Bad arguments or a bad input file: nothing was sent. */
  usage: 2,
  /** Stopped by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

/** An error the user can act on, with the exit code it ends the CLI with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Prints `err` as one line on stderr and returns the exit code it means. */
export function reportError(err: unknown, baseUrl: string): number {
  if (process.env["IMPOSSIBLEDB_DEBUG"] === "1" && err instanceof Error) console.error(err.stack);
  if (err instanceof CliError) {
    console.error(`impossibledb: ${err.message}`);
    return err.exitCode;
  }
  if (err instanceof ConnectError) {
    const hint =
      err.code === Code.Unavailable || err.code === Code.Unknown
        ? ` (is the server running at ${baseUrl}? set --url or IMPOSSIBLEDB_URL)`
        : err.code === Code.Unauthenticated
          ? " (give an API key with --api-key or IMPOSSIBLEDB_API_KEY)"
          : "";
    console.error(`impossibledb: ${Code[err.code]}: ${err.rawMessage}${hint}`);
    return EXIT.failed;
  }
  if (err instanceof TypeError || err instanceof RangeError) {
    // The SDK refuses values it cannot send with TypeErrors that say why.
    console.error(`impossibledb: ${err.message}`);
    return EXIT.usage;
  }
  console.error(`impossibledb: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT.failed;
}
