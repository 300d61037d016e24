/**
 * How the CLI fails: one error type for what the user can fix (bad
 * arguments, a bad input file, a refusal from the server), each with its
 * exit code, and one function that prints any error as one clear line,
 * never a stack trace (set IMPOSSIBLEDB_DEBUG=1 to see one).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { cliAdvice } from "./server-advice.js";

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

/**
 * A server's refusal that the CLI explains: the server's error as it came,
 * what the CLI was doing (`cannot start resharding`) and the next step
 * (`nothing to do`). As text it reads `cannot start resharding: <the
 * server's message> (nothing to do)`; with --json it keeps the server's
 * code and message, and the next step goes in its own `hint` field, so a
 * script sees `failed_precondition`, not the CLI's `failed`.
 */
export class ServerRefusal extends Error {
  /** A refusal from the server always exits 1. */
  readonly exitCode: number = EXIT.failed;

  constructor(
    readonly refused: ConnectError,
    readonly doing: string,
    readonly hint: string,
  ) {
    super(`${doing}: ${refused.rawMessage}${hint === "" ? "" : ` (${hint})`}`);
    this.name = "ServerRefusal";
  }
}

/** How {@link reportError} prints. */
export interface ReportOptions {
  /**
   * Print one JSON object on stderr instead of a line of text (the command
   * had `--json`): `{"code", "message", "hint"?, "exit_code"}`, where code
   * is the server's Connect code in its wire form (`not_found`,
   * `failed_precondition`, ...) and message the server's message alone,
   * `usage` for bad arguments or input (exit 2), or `failed` for the CLI's
   * own failures; hint, when there is one, is the CLI's advice on what to
   * do next (reach the server, authenticate, follow a resharding).
   */
  readonly json?: boolean;
}

/** What {@link reportError} prints for an error, and the exit code it means. */
interface Described {
  readonly code: string;
  /** The whole line of text, as printed without --json. */
  readonly text: string;
  /** The message alone, as --json prints it: the server's own for a server's error. */
  readonly message: string;
  /** The CLI's advice on what to do next, or "". */
  readonly hint: string;
  readonly exitCode: number;
}

/** What every refusal the CLI prints starts with (docs/cli.md). */
export const REFUSAL_PREFIX = "impossibledb: ";

/** Commander's refusal `text` without its own `error: ` prefix. */
export function withoutCommanderPrefix(text: string): string {
  return text.replace(/^error: /, "");
}

/** Commander's refusal `text` (`error: unknown option '--x'`) as the CLI's other refusals start: `impossibledb: unknown option '--x'`. */
export function withCliPrefix(text: string): string {
  return `${REFUSAL_PREFIX}${withoutCommanderPrefix(text)}`;
}

/** Prints `err` as one line on stderr and returns the exit code it means. */
export function reportError(err: unknown, baseUrl: string, options: ReportOptions = {}): number {
  if (process.env["IMPOSSIBLEDB_DEBUG"] === "1" && err instanceof Error) console.error(err.stack);
  const { code, text, message, hint, exitCode } = describeError(err, baseUrl);
  if (options.json === true) console.error(JSON.stringify({ code, message, ...(hint === "" ? {} : { hint }), exit_code: exitCode }));
  else console.error(`${REFUSAL_PREFIX}${oneLine(text)}`);
  return exitCode;
}

/**
 * `text` on one line: line breaks (a JSON parse error quotes the input,
 * newlines and all) written as `\n`, so a refusal read line by line is
 * whole, as docs/cli.md promises.
 */
export function oneLine(text: string): string {
  return text.replace(/\r\n|\r|\n/g, "\\n");
}

/**
 * The code, text, message, hint and exit code of `err`. A server's refusal
 * reads `NotFound: collection ...` as a line of text; in JSON the code has
 * its own field and the CLI's advice its own `hint`, so the message is the
 * server's alone.
 */
function describeError(err: unknown, baseUrl: string): Described {
  if (err instanceof ServerRefusal) {
    return { code: wireCode(err.refused.code), text: err.message, message: err.refused.rawMessage, hint: err.hint, exitCode: err.exitCode };
  }
  if (err instanceof CliError) {
    return { code: err.exitCode === EXIT.usage ? "usage" : "failed", text: err.message, message: err.message, hint: "", exitCode: err.exitCode };
  }
  const missing = err instanceof ConnectError ? missingDatabase(err) : undefined;
  if (missing !== undefined) return missing;
  if (err instanceof ConnectError) {
    // Advice that names an RPC, in the CLI's words (server-advice.ts).
    const advised = cliAdvice(err);
    const message = advised?.message ?? err.rawMessage;
    const hint =
      advised !== undefined
        ? advised.hint
        : err.code === Code.Unavailable || err.code === Code.Unknown
          ? `is the server running at ${baseUrl}? set --url or IMPOSSIBLEDB_URL`
          : err.code === Code.Unauthenticated
            ? "give an API key with --api-key or IMPOSSIBLEDB_API_KEY"
            : "";
    const text = `${Code[err.code]}: ${message}${hint === "" ? "" : ` (${hint})`}`;
    return { code: wireCode(err.code), text, message, hint, exitCode: EXIT.failed };
  }
  if (err instanceof TypeError || err instanceof RangeError) {
    // The SDK refuses values it cannot send with TypeErrors that say why.
    return { code: "usage", text: err.message, message: err.message, hint: "", exitCode: EXIT.usage };
  }
  const message = `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
  return { code: "failed", text: message, message, hint: "", exitCode: EXIT.failed };
}

/**
 * The server's NOT_FOUND for the database the CLI addressed (`--database`
 * or IMPOSSIBLEDB_DATABASE), in the CLI's words: the server's ("create it
 * with AdminService.CreateDatabase, or omit the impossibledb-database
 * header") names an RPC and a header that a CLI user never sees. Undefined
 * for any other error. The server's message starts "database ID does not
 * exist" or "database ID is being deleted" (src/databases/catalog-client.ts).
 */
function missingDatabase(err: ConnectError): Described | undefined {
  const m = err.code === Code.NotFound ? /^database ([a-z][a-z0-9-]*) (does not exist|is being deleted)\b/.exec(err.rawMessage) : null;
  if (m === null) return undefined;
  const [, id, state] = m as unknown as [string, string, string];
  const message = `database ${id} ${state}`;
  const hint =
    state === "does not exist"
      ? `create it with \`impossibledb databases create ${id}\`, or leave out --database and IMPOSSIBLEDB_DATABASE to use the database default`
      : `run \`impossibledb databases delete ${id}\` to finish deleting it, then \`impossibledb databases create ${id}\` to make it again`;
  return { code: "not_found", text: `${message} (${hint})`, message, hint, exitCode: EXIT.failed };
}

/** A Connect code as the Connect protocol writes it: `FailedPrecondition` -> `failed_precondition`. */
export function wireCode(code: Code): string {
  return Code[code].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase());
}
