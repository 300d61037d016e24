/**
 * AddDocument's loop: create under a fresh auto-id, and in the (never
 * expected) case that the id is taken, try a new one.
 */
import { FailureError } from "../errors.js";
import { AUTO_ID_ATTEMPTS_MAX } from "../limits.js";
import type { ShardWriteOutcome, StoredDocument } from "../storage/types.js";
import { autoId } from "./auto-id.js";

/**
 * Creates a document under a fresh auto-id with `create`. The create fails
 * with ALREADY_EXISTS only if the id is taken; then a new id is tried, up
 * to AUTO_ID_ATTEMPTS_MAX times. Any other failure is the caller's.
 */
export async function createWithAutoId(create: (id: string) => Promise<ShardWriteOutcome>, newId: () => string = autoId): Promise<StoredDocument> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await create(newId());
    if (outcome.ok) {
      const doc = outcome.results[0]?.document;
      if (doc === undefined || doc === null) throw new Error("invariant broken: a create returns its document");
      return doc;
    }
    if (outcome.kind !== "already_exists" || attempt >= AUTO_ID_ATTEMPTS_MAX) throw new FailureError(outcome.kind, outcome.message);
  }
}
