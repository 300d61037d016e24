/**
 * Everything the package exports besides ImpossibleDBClient itself, shared
 * by the browser and Node entry points.
 */
export { Code, ConnectError } from "@connectrpc/connect";
export { Collection, WriteBatch, type BatchCommitOptions, type BatchWriteOutcome, type DeleteAllOptions, type ListOptions, type Page, type ReadOptions } from "./Collection.js";
export type { DocumentSnapshot, Precondition, WriteOutcome } from "./documents.js";
export { DocumentReference, type DocumentListenSnapshot } from "./DocumentReference.js";
export { FieldValue, type ServerTimestampOptions, type WithFieldValues } from "./field-value.js";
export { GeoPoint } from "./geo-point.js";
export { Timestamp } from "./timestamp.js";
export type { DocumentData, TypedValue } from "./value-codec.js";
export { isListenTransient, type ListenOptions } from "./listen.js";
export type { DocumentChange, DocumentChangeType, QuerySnapshot } from "./listen-view.js";
export { createRetryingTransport, type RetryingTransportOptions } from "./HttpClient.js";
export { DATABASE_HEADER, DEFAULT_BASE_URL, type CollectionSummary, type ImpossibleDBClientOptions, type RunTransactionOptions } from "./ImpossibleDBClient.js";
export * from "./limits.js";
export { avg, count, max, min, QueryBuilder, sum, type AggregateGroup, type AggregateOptions, type AggregateSpec, type GeoRegion, type LatLng, type PageOptions, type QueryPage, type SearchOptions, type SearchResult, type SortDirection, type StreamOptions, type WhereOperator } from "./QueryBuilder.js";
export { backoffMs, isIdempotent, isRefusedAtTheDoor, isTransient, type RetryOptions } from "./retry-policy.js";
export { retryInfoDelayMs, serverRetryDelayMs } from "./retry-info.js";
export { waitForResharding, type WaitForReshardingOptions } from "./resharding.js";
export type { Services } from "./services.js";
export { Transaction, type CommitOptions, type CommitOutcome, type TransactionOptions, type TransactionReadRef } from "./Transaction.js";
export type { UpdateOptions, WriteOptions } from "./writes.js";
