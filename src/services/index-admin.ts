/**
 * Secondary-index management behind AdminService: every shard builds (and
 * backfills) an index and keeps it in its own catalog; an index is READY
 * when every shard of the routing table has it, CREATING when only some do
 * (a creation that failed part-way; creating it again finishes it).
 */
import { create } from "@bufbuild/protobuf";
import { IndexField_Direction, IndexSchema, Index_State, type Index } from "../../gen/impossibledb/v1/admin_service_pb.js";
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import { INDEXES_PER_COLLECTION_MAX } from "../limits.js";
import { indexFieldProblem, indexIdOf, type IndexSpec } from "../query/indexes.js";
import { fieldPathFrom } from "../query/parser.js";
import { currentRouting } from "../shards/routing-cache.js";
import { readFromShard } from "../shards/shard-client.js";
import { formatFieldPath } from "../validation/field-path.js";
import { collectionFrom } from "./convert.js";
import { assertNotResharding } from "./resharding-admin.js";
import { dropWhenUnlocked } from "../shards/shard-ddl.js";

/** Creates an index on every shard; idempotent. */
export async function createIndexEverywhere(env: Env, index: Index | undefined): Promise<Index> {
  if (index === undefined) throw new FailureError("invalid_argument", "index is required");
  const collection = collectionFrom(index.collection);
  await assertNotResharding(env, "CreateIndex");
  const seen = new Set<string>();
  const fields = index.fields.map((f, i) => {
    const path = fieldPathFrom(f.field, `index.fields[${i}].field`);
    const problem = indexFieldProblem(path);
    if (problem !== null) throw new FailureError("invalid_argument", `index.fields[${i}].field: ${problem}`);
    const text = formatFieldPath(path);
    if (seen.has(text)) throw new FailureError("invalid_argument", `index.fields[${i}].field: ${text} is indexed twice`);
    seen.add(text);
    return { path, descending: f.direction === IndexField_Direction.DESCENDING };
  });
  if (fields.length === 0) throw new FailureError("invalid_argument", "index.fields: at least one field is required");
  const spec: IndexSpec = { collection, id: indexIdOf(collection, fields), fields };
  const existing = await indexesEverywhere(env, collection);
  if (!existing.specs.has(spec.id) && existing.specs.size >= INDEXES_PER_COLLECTION_MAX) {
    throw new FailureError("resource_exhausted", `collection ${collection} has ${existing.specs.size} indexes, the most INDEXES_PER_COLLECTION_MAX allows`);
  }
  // CREATE INDEX IF NOT EXISTS makes the call idempotent, so it may be retried.
  await Promise.all(existing.shards.map((shard) => readFromShard(env, shard, (s) => s.createIndex(spec))));
  return toIndex(spec, Index_State.READY);
}

/** One index, or NOT_FOUND. */
export async function getIndexEverywhere(env: Env, collection: string, id: string): Promise<Index> {
  const { specs, holders, shards } = await indexesEverywhere(env, collectionFrom(collection));
  const spec = specs.get(id);
  if (spec === undefined) throw new FailureError("not_found", `index ${id} of collection ${collection} does not exist`);
  return toIndex(spec, holders.get(id) === shards.length ? Index_State.READY : Index_State.CREATING);
}

/** A collection's indexes. */
export async function listIndexesEverywhere(env: Env, collection: string): Promise<Index[]> {
  const { specs, holders, shards } = await indexesEverywhere(env, collectionFrom(collection));
  return [...specs.values()].map((s) => toIndex(s, holders.get(s.id) === shards.length ? Index_State.READY : Index_State.CREATING));
}

/** Drops an index from every shard, or NOT_FOUND when no shard has it. */
export async function deleteIndexEverywhere(env: Env, collection: string, id: string): Promise<void> {
  collectionFrom(collection);
  await assertNotResharding(env, "DeleteIndex");
  const { table } = await currentRouting(env);
  const dropped = await Promise.all(table.shards.map((shard) => dropWhenUnlocked(shard, () => readFromShard(env, shard, (s) => s.dropIndex(collection, id)))));
  if (!dropped.some(Boolean)) throw new FailureError("not_found", `index ${id} of collection ${collection} does not exist`);
}

async function indexesEverywhere(env: Env, collection: string) {
  const { table } = await currentRouting(env);
  const lists = await Promise.all(table.shards.map((shard) => readFromShard(env, shard, (s) => s.listIndexes(collection))));
  const specs = new Map<string, IndexSpec>();
  const holders = new Map<string, number>();
  for (const list of lists) {
    for (const spec of list) {
      specs.set(spec.id, spec);
      holders.set(spec.id, (holders.get(spec.id) ?? 0) + 1);
    }
  }
  return { specs, holders, shards: table.shards };
}

function toIndex(spec: IndexSpec, state: Index_State): Index {
  return create(IndexSchema, {
    id: spec.id,
    collection: spec.collection,
    fields: spec.fields.map((f) => ({
      field: formatFieldPath(f.path),
      direction: f.descending ? IndexField_Direction.DESCENDING : IndexField_Direction.ASCENDING,
    })),
    state,
  });
}
