/**
 * What every system under test offers the workloads. Each system is driven
 * by the same Node process, in the same style (async calls, one per request,
 * `concurrency` in flight), through its own native client.
 */
import type { ListenDriver, QueryDriver, TxDriver } from "./extensions.js";

/** A YCSB record: ten 100-byte string fields. */
export type Document = Record<string, string>;

/** A document read back, with the version its system gave it. */
export interface VersionedDocument {
  readonly data: Document;
  readonly version: number;
}

/** The operations the workloads need, one request each. */
export interface Driver {
  get(id: string): Promise<VersionedDocument | null>;
  /** Writes the whole document (YCSB writeallfields). */
  put(id: string, data: Document): Promise<void>;
  /** Writes only if the stored version is `version`; false when it was not (a conflict). */
  putIfVersion(id: string, data: Document, version: number): Promise<boolean>;
  /** Reads many documents in one request; returns how many were found. */
  batchGet(ids: readonly string[]): Promise<number>;
  /** Writes many documents in one request. */
  batchPut(entries: ReadonlyArray<readonly [string, Document]>): Promise<void>;
  /**
   * Adds `by` to the number in field `field` of the existing document `id`
   * in ONE request, the way the system does it without a read round trip
   * (ImpossibleDB: an `increment` field transform; SQL systems: an UPDATE
   * that computes the new value), giving the document a new version.
   * Answers the field's new value. The hot-document workload.
   */
  increment(id: string, field: string, by: number): Promise<number>;
  /** Transactions (two-document commits, bank transfers): every system, each in its own way. */
  readonly tx: TxDriver;
  /** The query set: systems with a query engine of their own. */
  readonly query?: QueryDriver;
  /** Change notifications (the listen phase): systems that offer them. */
  readonly listen?: ListenDriver;
}

/** A running system: its driver, the processes whose CPU is its own, and how to stop it. */
export interface RunningSystem {
  readonly id: SystemId;
  readonly label: string;
  /** One line on how it is configured (recorded in the results). */
  readonly setup: string;
  readonly driver: Driver;
  /** Processes started for this system (their descendants count too); empty when it runs inside the harness. */
  readonly serverPids: readonly number[];
  /** False when the driver's calls run synchronously in the harness (concurrency cannot overlap them). */
  readonly concurrent: boolean;
  stop(): Promise<void>;
}

export type SystemId = "impossibledb" | "impossibledb-grpc" | "floor" | "postgres" | "sqlite";

/** A system that cannot be measured yet, with the reason printed in the results. */
export interface PendingSystem {
  readonly id: SystemId;
  readonly label: string;
  readonly reason: string;
}
