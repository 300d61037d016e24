/**
 * Parsers of the command-line arguments that name things: collections,
 * document ids, databases and indexes. Commander runs them while it reads
 * the command line, so a name the server would refuse with INVALID_ARGUMENT
 * (exit 1, after a round trip) exits 2 instead, naming the argument, with
 * nothing sent (docs/cli.md, "Exit codes"). The grammar is the server's
 * (names.ts); the server checks again.
 */
import { InvalidArgumentError } from "commander";
import { CliError } from "./errors.js";
import { checkCollectionName, checkDatabaseId, checkId } from "./names.js";
import { decimalInteger } from "./numbers.js";

/** `text` when `problem` is null; else commander's refusal of the argument (exit 2), which names it. */
function accepted(text: string, problem: string | null): string {
  if (problem !== null) throw new InvalidArgumentError(problem);
  return text;
}

/** A collection name argument (`<collection>`), checked against the server's grammar. */
export function collectionArgument(text: string): string {
  return accepted(text, checkCollectionName(text));
}

/** A document id argument (`<id>` of get, put, delete), checked against the server's grammar. */
export function documentIdArgument(text: string): string {
  return accepted(text, checkId(text));
}

/** A database id argument (`--database`, `databases create|get|delete ID`), checked against the server's grammar. */
export function databaseIdArgument(text: string): string {
  return accepted(text, checkDatabaseId(text));
}

/** An index id argument (`indexes drop COLLECTION ID`): the server's ids are never empty. */
export function indexIdArgument(text: string): string {
  return accepted(text, text === "" ? "the index id is empty; `indexes list COLLECTION` shows the ids" : null);
}

/** A whole-number option (`--limit`, `--batch-size`, `--page-size`) in plain decimal digits; the command checks its range. */
export function integerArgument(text: string): number {
  const n = decimalInteger(text);
  if (n === null) throw new InvalidArgumentError("not a whole number in plain decimal digits");
  return n;
}

/**
 * The database named by the environment variable `variable`
 * (IMPOSSIBLEDB_DATABASE), checked like `--database`: commander does not
 * read it, so a bad one is a CliError (exit 2) naming the variable.
 */
export function databaseFromEnvironment(variable: string, text: string): string {
  const problem = checkDatabaseId(text);
  if (problem !== null) throw new CliError(`${variable}: ${problem}`);
  return text;
}
