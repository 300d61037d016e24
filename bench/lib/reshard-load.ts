/**
 * The YCSB-A load the resharding benchmark keeps running before, during and
 * after the move: `concurrency` callers in a closed loop, each sending a
 * read (GetDocument) or a whole-document update (SetDocument), 50/50, of a
 * zipfian-chosen record, and its next request when the last one answers.
 *
 * Every request is kept (start, end, kind, record, outcome) rather than
 * folded into histograms as it goes, because the periods it belongs to
 * (before / during / after, and the move's phases) are known only once the
 * move has ended. A run of a few minutes is a few hundred thousand small
 * records.
 *
 * It also checks what a client could notice: a read must return at least
 * the version of the newest write to that record that was acknowledged
 * before the read was sent (versions grow on every write), else it is a
 * stale read; a record must never be missing.
 */
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import type { Transport } from "@connectrpc/connect";
import { COLLECTION } from "../config.js";
import { createDocument } from "./document.js";
import { createPermutation, createRandom, createZipfian, recordId } from "./keys.js";

/** One request of the load. Times are the harness's performance.now(), in milliseconds. */
export interface LoadOp {
  readonly startMs: number;
  readonly endMs: number;
  readonly write: boolean;
  /** The record number (recordId(record) is the document id). */
  readonly record: number;
  /** Null when it succeeded. */
  readonly error: string | null;
  /** The routing table version the answer carried (ROUTING_VERSION_HEADER), null when it carried none. */
  readonly routingVersion: number | null;
  /**
   * For a call the Worker ran again after a shard answered "moved" (a
   * cutover): its time in the Worker from its first attempt to its answer
   * (REROUTED_MS_HEADER), ms; null for a call that was not rerouted.
   */
  readonly reroutedMs: number | null;
}

/** The response header that names the routing table version a call was served under. */
export const ROUTING_VERSION_HEADER = "impossibledb-routing-version";
/** The response header of a call the Worker rerouted after a cutover: its wait in the Worker, ms (src/routing/routing-header.ts). */
export const REROUTED_MS_HEADER = "impossibledb-rerouted-ms";

/** A read that returned an older version than a write acknowledged before the read was sent. */
export interface StaleRead {
  readonly record: number;
  readonly atMs: number;
  readonly expectedVersion: number;
  readonly gotVersion: number;
}

export interface LoadLog {
  readonly ops: readonly LoadOp[];
  readonly staleReads: readonly StaleRead[];
  /** Per record, the newest version a write acknowledged (for the read-back after the run). */
  readonly ackedVersions: ReadonlyMap<number, number>;
  /** Record numbers of the `hotKeys` most popular records, most popular first. */
  readonly hotRecords: readonly number[];
}

export interface LoadOptions {
  readonly recordCount: number;
  readonly concurrency: number;
  readonly seed: number;
  readonly hotKeys: number;
}

/** A running load; `stop` waits for the requests in flight and returns everything it saw. */
export interface RunningLoad {
  stop(): Promise<LoadLog>;
  /** Requests answered so far (for progress lines). */
  count(): number;
}

/** Fraction of YCSB-A's requests that are reads. */
const READ_FRACTION = 0.5;

export function startLoad(transport: Transport, options: LoadOptions): RunningLoad {
  const client = createClient(CollectionService, transport);
  const random = createRandom(options.seed);
  const zipf = createZipfian(options.recordCount, random);
  // The same scramble as lib/keys.ts createKeyChooser, kept here so the hot records are known.
  const perm = createPermutation(options.recordCount, createRandom(options.seed ^ 0x5eed));
  const ops: LoadOp[] = [];
  const staleReads: StaleRead[] = [];
  const acked = new Map<number, number>();
  let stopping = false;

  const caller = async () => {
    while (!stopping) {
      const record = perm[zipf()]!;
      const write = random() >= READ_FRACTION;
      const doc = write ? createDocument(random) : null;
      const expected = acked.get(record) ?? 0;
      const startMs = performance.now();
      let error: string | null = null;
      let routingVersion: number | null = null;
      let reroutedMs: number | null = null;
      const onHeader = (h: Headers) => {
        const v = h.get(ROUTING_VERSION_HEADER);
        routingVersion = v === null ? null : Number(v);
        const r = h.get(REROUTED_MS_HEADER);
        reroutedMs = r === null ? null : Number(r);
      };
      try {
        if (doc !== null) {
          const version = await writeOne(client, record, doc, onHeader);
          acked.set(record, Math.max(acked.get(record) ?? 0, version));
        } else {
          const version = await readOne(client, record, onHeader);
          if (version < expected) staleReads.push({ record, atMs: startMs, expectedVersion: expected, gotVersion: version });
        }
      } catch (err) {
        error = err instanceof ConnectError ? `${Code[err.code]}: ${err.rawMessage}` : String(err);
      }
      ops.push({ startMs, endMs: performance.now(), write, record, error, routingVersion, reroutedMs });
    }
  };
  const callers = Promise.all(Array.from({ length: options.concurrency }, caller));
  return {
    count: () => ops.length,
    async stop() {
      stopping = true;
      await callers;
      return { ops, staleReads, ackedVersions: acked, hotRecords: Array.from(perm.subarray(0, options.hotKeys)) };
    },
  };
}

async function writeOne(client: Client<typeof CollectionService>, record: number, data: Record<string, string>, onHeader: (h: Headers) => void): Promise<number> {
  const { document } = await client.setDocument({ ref: { collection: COLLECTION, id: recordId(record) }, data }, { onHeader });
  if (document === undefined) throw new Error(`SetDocument of ${recordId(record)} answered without the document`);
  return Number(document.version);
}

async function readOne(client: Client<typeof CollectionService>, record: number, onHeader: (h: Headers) => void): Promise<number> {
  const { document } = await client.getDocument({ ref: { collection: COLLECTION, id: recordId(record) } }, { onHeader });
  if (document === undefined) throw new Error(`GetDocument of ${recordId(record)} answered without the document`);
  return Number(document.version);
}
