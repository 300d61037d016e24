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

/** How {@link reportError} prints. */
export interface ReportOptions {
  /**
   * Print one JSON object on stderr instead of a line of text (the command
   * had `--json`): `{"code", "message", "exit_code"}`, where code is the
   * server's Connect code in its wire form (`not_found`,
   * `failed_precondition`, ...), `usage` for bad arguments or input (exit
   * 2), or `failed` for the CLI's own failures.
   */
  readonly json?: boolean;
}

/** Prints `err` as one line on stderr and returns the exit code it means. */
export function reportError(err: unknown, baseUrl: string, options: ReportOptions = {}): number {
  if (process.env["IMPOSSIBLEDB_DEBUG"] === "1" && err instanceof Error) console.error(err.stack);
  const json = options.json === true;
  const { code, message, exitCode } = describeError(err, baseUrl, json);
  if (json) console.error(JSON.stringify({ code, message, exit_code: exitCode }));
  else console.error(`impossibledb: ${message}`);
  return exitCode;
}

/**
 * The code, message and exit code of `err`. A server's refusal reads
 * `NotFound: collection ...` as a line of text; in JSON the code has its own
 * field, so the message is the server's alone (plus the CLI's hint on how
 * to reach the server or authenticate, when there is one).
 */
function describeError(err: unknown, baseUrl: string, json: boolean): { code: string; message: string; exitCode: number } {
  if (err instanceof CliError) return { code: err.exitCode === EXIT.usage ? "usage" : "failed", message: err.message, exitCode: err.exitCode };
  if (err instanceof ConnectError) {
    const hint =
      err.code === Code.Unavailable || err.code === Code.Unknown
        ? ` (is the server running at ${baseUrl}? set --url or IMPOSSIBLEDB_URL)`
        : err.code === Code.Unauthenticated
          ? " (give an API key with --api-key or IMPOSSIBLEDB_API_KEY)"
          : "";
    const prefix = json ? "" : `${Code[err.code]}: `;
    return { code: wireCode(err.code), message: `${prefix}${err.rawMessage}${hint}`, exitCode: EXIT.failed };
  }
  if (err instanceof TypeError || err instanceof RangeError) {
    // The SDK refuses values it cannot send with TypeErrors that say why.
    return { code: "usage", message: err.message, exitCode: EXIT.usage };
  }
  return { code: "failed", message: `unexpected error: ${err instanceof Error ? err.message : String(err)}`, exitCode: EXIT.failed };
}

/** A Connect code as the Connect protocol writes it: `FailedPrecondition` -> `failed_precondition`. */
function wireCode(code: Code): string {
  return Code[code].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());
}
