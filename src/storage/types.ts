/**
 * The plain-data shapes that cross between the Worker and a shard. They are
 * structured-clonable (Workers RPC copies them) and carry no protobuf types.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { FailureKind } from "../errors.js";
import type { FieldTransformSpec } from "./transforms.js";
import type { DocumentCacheStats } from "./document-cache.js";

/** A document as a shard stores it. Times are milliseconds since the epoch. */
export interface StoredDocument {
  readonly collection: string;
  readonly id: string;
  readonly data: JsonObject;
  readonly version: number;
  readonly createTimeMs: number;
  readonly updateTimeMs: number;
}

/** A condition checked atomically with a write. */
export type WritePrecondition = { readonly exists: boolean } | { readonly version: number };

interface WriteBase {
  readonly collection: string;
  readonly id: string;
  readonly precondition?: WritePrecondition | undefined;
  /**
   * Field transforms applied after the write's data, in order (see
   * transforms.ts); never on a delete. Absent or empty: none.
   */
  readonly transforms?: readonly FieldTransformSpec[] | undefined;
}

/** One write, as a shard applies it. Field paths arrive parsed. */
export type ShardWrite =
  | (WriteBase & { readonly op: "set"; readonly data: JsonObject })
  | (WriteBase & { readonly op: "create"; readonly data: JsonObject })
  | (WriteBase & { readonly op: "update"; readonly data: JsonObject; readonly mask: ReadonlyArray<readonly string[]> | null })
  | (WriteBase & { readonly op: "delete" });

/** What one applied write did. `document` is null after a delete. */
export interface AppliedWrite {
  readonly collection: string;
  readonly id: string;
  readonly document: StoredDocument | null;
  /** True when a delete removed an existing document. */
  readonly existed: boolean;
  readonly updateTimeMs: number;
}

/**
 * A request that touched documents locked by transactions in progress. The
 * caller resolves those transactions (asks their coordinators) and retries;
 * nothing was read or written.
 */
export interface Blocked {
  readonly ok: false;
  readonly kind: "aborted";
  readonly message: string;
  readonly blockedBy: readonly string[];
}

/** The outcome of a shard's atomic batch: every write applied, or none. */
export type ShardWriteOutcome =
  | { readonly ok: true; readonly results: readonly AppliedWrite[] }
  | { readonly ok: false; readonly kind: FailureKind; readonly message: string; readonly index: number; readonly blockedBy?: undefined }
  | (Blocked & { readonly index: number });

/**
 * The outcome of a shard read: one entry per ref read, in request order.
 * Fewer entries than refs when the read stopped at its byte budget; the
 * refs after the last entry were not read.
 */
export type ShardReadOutcome = { readonly ok: true; readonly documents: Array<StoredDocument | null> } | Blocked;

/** One page of a collection, in id order, or Blocked. */
export type ShardListOutcome = ({ readonly ok: true } & ShardListPage) | Blocked;

/** One page of a collection, in id order. */
export interface ShardListPage {
  readonly documents: readonly StoredDocument[];
  /** True when the shard holds more documents after the last one returned. */
  readonly hasMore: boolean;
  /** Rows SQLite read to answer; lets tests prove no other collection was scanned. */
  readonly rowsRead: number;
}

/** A shard's statistics. */
export interface ShardStatistics {
  readonly documentCount: number;
  readonly dataBytes: number;
  readonly schemaVersion: number;
  /** Calls per second the object answered recently; approximate, in its memory (src/shards/request-rate.ts). */
  readonly requestsPerSecond: number;
  /** The shard's document cache (storage/document-cache.ts): size and hits since the object started; null when it is off. */
  readonly documentCache?: DocumentCacheStats | null;
}

/** One collection a shard holds, with the number of its documents there. */
export interface ShardCollection {
  readonly name: string;
  readonly documentCount: number;
}

/** A page of a shard's collections, in name order. */
export interface ShardCollectionsPage {
  readonly collections: readonly ShardCollection[];
  /** True when the shard holds more collections after the last one returned. */
  readonly hasMore: boolean;
}

/** One step of deleting a collection on a shard, or Blocked by transaction locks (nothing deleted). */
export type ShardDeleteStep = { readonly ok: true; readonly deleted: number; readonly more: boolean } | Blocked;
