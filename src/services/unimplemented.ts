/**
 * The answer of RPCs that the v1 contract declares and a later milestone
 * implements: UNIMPLEMENTED, naming what is missing.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** Throws UNIMPLEMENTED for `method`, which arrives with `milestone`. */
export function unimplemented(method: string, milestone: string): never {
  throw new ConnectError(`${method} is not implemented yet; it arrives with ${milestone}`, Code.Unimplemented);
}
