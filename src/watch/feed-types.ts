/**
 * The plain data a shard's feed sends the Worker over Workers RPC (see
 * change-log.ts and shard-feed.ts), free of Workers types so the Worker's
 * listener code and its Node tests share them.
 */
import type { StoredDocument } from "../storage/types.js";

/** One change as read from a shard's log (a `change_log` row). */
export type ChangeRow = {
  seq: number;
  collection: string;
  id: string;
  op: "put" | "delete";
  /** The new contents (JSON); null for a delete. */
  data: string | null;
  version: number | null;
  create_time_ms: number | null;
  /** The contents before the write (JSON); null when the document did not exist. */
  before_data: string | null;
  before_version: number | null;
  before_create_time_ms: number | null;
  before_update_time_ms: number | null;
  /** Commit timestamp, µs. */
  commit_ts: number;
  tx_id: string | null;
  /** JSON array of the shards of this transaction's writes to the collection, when two or more. */
  group_shards: string | null;
};

/**
 * A shard's snapshot for a listener. `documents` and `head` describe the
 * same instant: the documents reflect exactly the changes at positions up
 * to `head`. `clockTs` is the shard's clock then (µs): a transaction whose
 * commit timestamp is above it had not committed here yet.
 */
export type ShardListenSnapshot =
  | { readonly ok: true; readonly documents: StoredDocument[]; readonly hasMore: boolean; readonly head: number; readonly clockTs: number }
  | { readonly ok: false; readonly kind: "invalid_argument" | "resource_exhausted" | "out_of_range"; readonly message: string };

/**
 * A page of a shard's feed: the rows after the caller's position, and the
 * position the caller has now seen everything through (the shard's head
 * when the page holds all of them; rows of other collections count as
 * seen).
 */
export interface ShardChanges {
  readonly ok: true;
  readonly rows: ChangeRow[];
  readonly position: number;
}

/** A page of a shard's log between two positions; `complete` is false when more rows remain after the last one. */
export interface ShardWindow {
  readonly ok: true;
  readonly rows: ChangeRow[];
  readonly complete: boolean;
}
