/**
 * Server errors as the console shows them: the Connect code as the server
 * names it on the wire (`failed_precondition`) and its message, inline
 * where the action was taken.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** An error ready to show. */
export interface ShownError {
  /** The Connect code in snake case, or `invalid_json` for input the console refused itself. */
  readonly code: string;
  readonly message: string;
}

/** Turns anything thrown by a call into a code and a message. */
export function describeError(err: unknown): ShownError {
  const connectError = ConnectError.from(err);
  const name = Code[connectError.code] ?? "Unknown";
  return { code: name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? "" : "_") + c.toLowerCase()), message: connectError.rawMessage };
}

/** One error line, announced to screen readers; nothing when there is no error. */
export function ErrorLine({ error }: { error: ShownError | null }) {
  if (error === null) return null;
  return (
    <p class="error" role="alert">
      <code>{error.code}</code> {error.message}
    </p>
  );
}
