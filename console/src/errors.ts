/**
 * Errors as the console shows them: the Connect code as the server names it
 * on the wire (`failed_precondition`) and its message; `ErrorLine`
 * (error-line.tsx) shows one where the action was taken.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** An error ready to show. */
export interface ShownError {
  /** The Connect code in snake case, or `invalid_json` for input the console refused itself. */
  readonly code: string;
  readonly message: string;
}

/** Input the console refuses before calling the server; shown as `invalid_argument`, as the server would. */
export class InputError extends Error {
  override readonly name = "InputError";
}

/** Turns anything thrown by a call (or an {@link InputError}) into a code and a message. */
export function describeError(err: unknown): ShownError {
  if (err instanceof InputError) return { code: "invalid_argument", message: err.message };
  const connectError = ConnectError.from(err);
  const name = Code[connectError.code] ?? "Unknown";
  return { code: name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase()), message: connectError.rawMessage };
}
