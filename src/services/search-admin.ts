/**
 * AdminService's search index methods: CreateSearchIndex builds the index
 * on every shard of the routing table and backfills it there in bounded
 * steps (search/shard-index.ts), answering once every shard says `ready`;
 * GetSearchIndex reports READY when every shard has it ready, CREATING
 * otherwise (a creation cut short; calling CreateSearchIndex again with the
 * same definition finishes it); DeleteSearchIndex drops it everywhere.
 * At most one search index per collection.
 */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { SearchIndexSchema, SearchIndex_State, type SearchIndex } from "../../gen/impossibledb/v1/search_pb.js";
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import { isIdPath } from "../query/expression.js";
import { fieldPathFrom } from "../query/parser.js";
import type { SearchIndexSpec, SearchShardState } from "../search/catalog.js";
import { SEARCH_BACKFILL_ROUNDS_MAX, SEARCH_FIELD_WEIGHT_MAX, SEARCH_TEXT_FIELDS_MAX } from "../search/limits.js";
import type { SearchIndexStep } from "../search/shard-index.js";
import { envOf } from "../server/context.js";
import { currentRouting } from "../shards/routing-cache.js";
import { readFromShard } from "../shards/shard-client.js";
import { formatFieldPath } from "../validation/field-path.js";
import { collectionFrom } from "./convert.js";
import { assertNotResharding } from "./resharding-admin.js";
import { dropWhenUnlocked } from "../shards/shard-ddl.js";

type SearchAdmin = Pick<ServiceImpl<typeof AdminService>, "createSearchIndex" | "getSearchIndex" | "deleteSearchIndex">;

/** Creates the search index methods of AdminService. */
export function createSearchAdmin(): SearchAdmin {
  return {
    async createSearchIndex(req, ctx) {
      return { index: await createSearchIndexEverywhere(envOf(ctx), req.index) };
    },
    async getSearchIndex(req, ctx) {
      return { index: await getSearchIndexEverywhere(envOf(ctx), collectionFrom(req.collection)) };
    },
    async deleteSearchIndex(req, ctx) {
      await deleteSearchIndexEverywhere(envOf(ctx), collectionFrom(req.collection));
      return {};
    },
  };
}

/** The checked shard definition of a wire SearchIndex; INVALID_ARGUMENT with the field at fault. */
export function searchSpecFrom(index: SearchIndex | undefined): SearchIndexSpec {
  if (index === undefined) throw new FailureError("invalid_argument", "index is required");
  const collection = collectionFrom(index.collection);
  if (index.textFields.length > SEARCH_TEXT_FIELDS_MAX) throw new FailureError("invalid_argument", `index.text_fields: at most ${SEARCH_TEXT_FIELDS_MAX} (SEARCH_TEXT_FIELDS_MAX)`);
  const seen = new Set<string>();
  const textFields = index.textFields.map((f, i) => {
    const where = `index.text_fields[${i}]`;
    const path = fieldPathFrom(f.field, `${where}.field`);
    if (isIdPath(path)) throw new FailureError("invalid_argument", `${where}.field: the document id cannot be a text field`);
    const field = formatFieldPath(path);
    if (seen.has(field)) throw new FailureError("invalid_argument", `${where}.field: ${field} is listed twice`);
    seen.add(field);
    if (!Number.isFinite(f.weight) || f.weight < 0 || f.weight > SEARCH_FIELD_WEIGHT_MAX) {
      throw new FailureError("invalid_argument", `${where}.weight: must be 0 to ${SEARCH_FIELD_WEIGHT_MAX} (0 means 1)`);
    }
    // proto3 cannot tell an unset double from 0: unset means 1.
    return { field, weight: f.weight === 0 ? 1 : f.weight };
  });
  let geoField: string | null = null;
  if (index.geoField !== "") {
    const path = fieldPathFrom(index.geoField, "index.geo_field");
    if (isIdPath(path)) throw new FailureError("invalid_argument", "index.geo_field: the document id cannot be a geo field");
    geoField = formatFieldPath(path);
  }
  if (textFields.length === 0 && geoField === null) throw new FailureError("invalid_argument", "index: at least one text field or a geo field is required");
  return { collection, textFields, geoField };
}

/** Creates the index on every shard and backfills it; the index as it stands (READY unless the rounds ran out). */
export async function createSearchIndexEverywhere(env: Env, index: SearchIndex | undefined): Promise<SearchIndex> {
  const spec = searchSpecFrom(index);
  await assertNotResharding(env, "CreateSearchIndex");
  const { table } = await currentRouting(env);
  const existing = await searchIndexesEverywhere(env, spec.collection);
  if (existing.spec !== null && JSON.stringify(existing.spec) !== JSON.stringify(spec)) {
    throw new FailureError(
      "already_exists",
      `collection ${spec.collection} already has a search index with another definition (its text fields, their order and weights, and its geo field must all be the same for CreateSearchIndex to be idempotent); delete it first (DeleteSearchIndex)`,
    );
  }
  // Each shard creates, then backfills in bounded steps until ready; a
  // create is idempotent, so a retried call continues where one stopped.
  const states = await Promise.all(
    table.shards.map(async (shard) => {
      let step = ok(await readFromShard(env, shard, (s) => s.createSearchIndex(spec)));
      for (let round = 0; step.state !== "ready" && round < SEARCH_BACKFILL_ROUNDS_MAX; round++) {
        step = ok(await readFromShard(env, shard, (s) => s.backfillSearchIndex(spec.collection)));
      }
      return step.state;
    }),
  );
  // Every shard's backfill has just changed its text index: the answer says how many are not compacted yet.
  const { uncompacted } = await searchIndexesEverywhere(env, spec.collection);
  return toSearchIndex(spec, states.every((s) => s === "ready") ? SearchIndex_State.READY : SearchIndex_State.CREATING, uncompacted);
}

/** The collection's search index with its state over every shard, or NOT_FOUND. */
export async function getSearchIndexEverywhere(env: Env, collection: string): Promise<SearchIndex> {
  const { spec, states, uncompacted } = await searchIndexesEverywhere(env, collection);
  if (spec === null) throw new FailureError("not_found", `collection ${collection} has no search index`);
  return toSearchIndex(spec, states.every((s) => s === "ready") ? SearchIndex_State.READY : SearchIndex_State.CREATING, uncompacted);
}

/** Drops the index from every shard, or NOT_FOUND when no shard has it. */
export async function deleteSearchIndexEverywhere(env: Env, collection: string): Promise<void> {
  await assertNotResharding(env, "DeleteSearchIndex");
  const { table } = await currentRouting(env);
  const dropped = await Promise.all(table.shards.map((shard) => dropWhenUnlocked(shard, () => readFromShard(env, shard, (s) => s.dropSearchIndex(collection)))));
  if (!dropped.some(Boolean)) throw new FailureError("not_found", `collection ${collection} has no search index`);
}

/**
 * The collection's definition (from any shard holding it), its state on
 * each shard (missing counts as creating), and how many shards hold it
 * with a text index not yet compacted (search/compaction.ts).
 */
export async function searchIndexesEverywhere(env: Env, collection: string): Promise<{ spec: SearchIndexSpec | null; states: SearchShardState[]; uncompacted: number }> {
  const { table } = await currentRouting(env);
  const lists = await Promise.all(table.shards.map((shard) => readFromShard(env, shard, (s) => s.listSearchIndexes())));
  let spec: SearchIndexSpec | null = null;
  let uncompacted = 0;
  const states = lists.map((list): SearchShardState => {
    const mine = list.find((e) => e.spec.collection === collection);
    if (mine === undefined) return "creating";
    spec = mine.spec;
    if (!mine.compacted) uncompacted++;
    return mine.state;
  });
  return { spec, states, uncompacted };
}

function ok(step: SearchIndexStep): Extract<SearchIndexStep, { ok: true }> {
  if (!step.ok) throw new FailureError(step.kind, step.message);
  return step;
}

/** The wire form of a definition, with its state and uncompacted shards over the cluster. */
export function toSearchIndex(spec: SearchIndexSpec, state: SearchIndex_State, uncompactedShards = 0): SearchIndex {
  return create(SearchIndexSchema, {
    collection: spec.collection,
    textFields: spec.textFields.map((f) => ({ field: f.field, weight: f.weight })),
    geoField: spec.geoField ?? "",
    state,
    uncompactedShards,
  });
}

