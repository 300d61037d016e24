// Valid-shaped requests with hostile values, for every RPC of every
// service, in proto JSON form ({ service, method, json }). The campaign
// (scripts/fuzz.mjs) sends them as they are over Connect JSON, or encodes
// them and sends them (possibly mutated) in binary. Writes go mostly to
// throwaway collections; a share names the seeded ones, so that hostile
// writes that the server accepts touch real data and are tracked.
import fc from "fast-check";
import { adminRequestArbitraries } from "./admin-requests.mjs";
import { hostileRules } from "./rules.mjs";
import { hostileToken, hostileTransaction } from "./tokens.mjs";
import { hostileFieldPath, hostileJson, hostileNumber, hostileString, hostileStruct, hostileTypedFields, hostileTypedValue, TRICKS } from "./values.mjs";

/** Deeper than FILTER_DEPTH_MAX (20) and far deeper. */
const DEEP_FILTER_LEVELS = [21, 100, 1000];
/** Wider than FILTER_NODES_MAX (500) and FILTER_LIST_VALUES_MAX (100). */
const WIDE_FILTER_COUNTS = [101, 501, 3000];

const FIELD_OPS = ["OPERATOR_EQUAL", "OPERATOR_NOT_EQUAL", "OPERATOR_LESS_THAN", "OPERATOR_LESS_THAN_OR_EQUAL", "OPERATOR_GREATER_THAN", "OPERATOR_GREATER_THAN_OR_EQUAL", "OPERATOR_IN", "OPERATOR_NOT_IN", "OPERATOR_ARRAY_CONTAINS", "OPERATOR_ARRAY_CONTAINS_ANY", "OPERATOR_EXISTS"];
/** FTS5 query syntax and our own, for search texts: none of it may reach FTS5 raw or cause INTERNAL. */
const SEARCH_PIECES = ['"', "*", "(", ")", "AND", "OR", "NOT", "NEAR(", "NEAR/3", "^", "+", ":", "{", "}", "title:", "-", "'", "\\", "\u0000", "é", "ß", "İ", "\u0301", "👍", "fox", "quick", "abcdefghij"];
const TEXT_OPERATORS = ["=", "!=", "<", "<=", ">", ">=", ":", "AND", "OR", "NOT", "-", "(", ")", "IN", "in", "has", ",", "[", "]", "*", ".", "`", "\"", "'"];

/** Arbitraries of requests for every RPC, over the run's context (`ctx`: names, recorded tokens and ids). */
export function requestArbitraries(ctx) {
  const names = [...ctx.collections, ...ctx.ids, ...ctx.fields];
  const str = hostileString(names);
  const num = hostileNumber;
  const collection = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ctx.scratch) }, { weight: 2, arbitrary: fc.constantFrom(...ctx.collections) }, { weight: 3, arbitrary: str });
  const readCollection = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ctx.collections) }, { weight: 3, arbitrary: str });
  const id = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ctx.ids) }, { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_]{1,12}$/) }, { weight: 3, arbitrary: str });
  const ref = (coll) => fc.record({ collection: coll, id }, { requiredKeys: [] });
  const path = hostileFieldPath(names);
  const mask = fc.record({ fieldPaths: fc.array(path, { maxLength: 4 }) });
  const struct = hostileStruct(names);
  const pageToken = hostileToken(ctx.pageTokens, names);
  const resumeToken = hostileToken(ctx.resumeTokens, names);
  const tx = hostileTransaction(ctx.transactions, names);
  const precondition = fc.oneof(fc.record({ exists: fc.boolean() }), fc.record({ version: num }), fc.constant({ exists: true, version: "1" }));
  const opt = (arb) => fc.option(arb, { nil: undefined, freq: 3 });
  const typedFields = hostileTypedFields(names);
  const typedValue = hostileTypedValue(names);
  const where = hostileFilter(path, hostileJson(names), typedValue);
  // Document data in the Struct form, the typed form, or (refused) both.
  const body = fc.oneof(
    { weight: 6, arbitrary: struct.map((data) => ({ data })) },
    { weight: 3, arbitrary: typedFields.map((fields) => ({ fields })) },
    { weight: 1, arbitrary: fc.tuple(struct, typedFields).map(([data, fields]) => ({ data, fields })) },
  );
  const transform = path.map((fieldPath) => ({ fieldPath })).chain((t) =>
    fc.oneof(
      typedValue.map((v) => ({ ...t, typedIncrement: v })),
      typedValue.map((v) => ({ ...t, typedMaximum: v })),
      fc.constant({ ...t, typedServerTimestamp: {} }),
      fc.array(typedValue, { maxLength: 3 }).map((values) => ({ ...t, typedAppendMissingElements: { values } })),
      hostileJson(names).map((v) => ({ ...t, increment: v })),
    ),
  );
  const searchText = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.array(fc.oneof(fc.constantFrom(...SEARCH_PIECES), str), { maxLength: 12 }), fc.constantFrom(" ", "")).map(([parts, sep]) => parts.join(sep)) },
    { weight: 1, arbitrary: str },
    { weight: 1, arbitrary: fc.constantFrom("(".repeat(200) + "x", "x ".repeat(600), "a*".repeat(300), '"'.repeat(999)) },
  );
  // Geo: hostile numbers, and points in range (poles, the antimeridian) so the geo code runs too.
  const degrees = fc.oneof(num, fc.double({ min: -90, max: 90, noNaN: true }), fc.constantFrom(-180, 180, -90, 90, 0, 179.9999999, -179.9999999));
  const point = fc.record({ latitude: degrees, longitude: degrees }, { requiredKeys: [] });
  const radius = fc.oneof(num, fc.constantFrom(0, 1, 20037509, 20037510, 1e7), fc.double({ min: 0, max: 2e7, noNaN: true }));
  const within = fc.oneof(
    fc.record({ box: fc.record({ low: point, high: point }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    fc.record({ polygon: fc.record({ vertices: fc.array(point, { maxLength: 12 }) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    fc.constant({ polygon: { vertices: Array.from({ length: 1001 }, (_, i) => ({ latitude: Math.sin(i), longitude: Math.cos(i) })) } }),
  );
  const search = fc.record(
    { text: searchText, exact: fc.boolean(), highlight: fc.boolean(), near: opt(fc.record({ center: point, radiusMeters: radius }, { requiredKeys: [] })), within: opt(within) },
    { requiredKeys: [] },
  );
  const searchIndex = fc.record(
    { collection, textFields: fc.array(fc.record({ field: path, weight: num }, { requiredKeys: [] }), { maxLength: 17 }), geoField: fc.oneof(fc.constant(""), path), state: fc.constantFrom("STATE_READY", "STATE_CREATING", 5) },
    { requiredKeys: [] },
  );
  const query = (coll) =>
    fc.record(
      {
        collection: coll,
        where,
        filter: hostileFilterText(path, str),
        orderBy: fc.array(fc.record({ field: path, direction: fc.constantFrom("DIRECTION_ASCENDING", "DIRECTION_DESCENDING", "DIRECTION_UNSPECIFIED", 7, "X") }, { requiredKeys: [] }), { maxLength: 3 }),
        limit: num,
        offset: num,
        select: mask,
        // Rarely, so most queries still exercise the plain query path.
        search: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: search }),
      },
      { requiredKeys: ["collection"] },
    );
  const patch = fc.tuple(body, opt(mask)).map(([b, updateMask]) => ({ ...b, ...(updateMask === undefined ? {} : { updateMask }) }));
  const write = (coll) =>
    fc.tuple(ref(coll), fc.oneof(fc.record({ set: struct }), fc.record({ create: struct }), fc.record({ update: patch }), fc.constant({ delete: {} }), fc.constant({}), fc.record({ setFields: typedFields.map((fields) => ({ fields })) }), fc.record({ createFields: typedFields.map((fields) => ({ fields })) })), opt(precondition)).map(
      ([r, op, pre]) => ({ ref: r, ...op, ...(pre === undefined ? {} : { precondition: pre }) }),
    );
  const writes = (coll) => fc.oneof({ weight: 30, arbitrary: fc.array(write(coll), { maxLength: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(501, 1000).chain((n) => fc.array(write(coll), { minLength: n, maxLength: n })) });
  const index = fc.record({ id: str, collection, fields: fc.array(fc.record({ field: path, direction: fc.constantFrom("DIRECTION_ASCENDING", "DIRECTION_DESCENDING", 9) }), { maxLength: 10 }), state: fc.constantFrom("STATE_READY", "STATE_CREATING", 5) }, { requiredKeys: [] });
  const aggregation = fc.record({ alias: str, function: fc.constantFrom("FUNCTION_COUNT", "FUNCTION_SUM", "FUNCTION_AVG", "FUNCTION_MIN", "FUNCTION_MAX", "FUNCTION_UNSPECIFIED", 99), field: path }, { requiredKeys: [] });
  const duration = fc.constantFrom("1s", "0s", "-1s", "61s", "0.000000001s", "315576000000s", "1e3s", "x");
  const txOptions = fc.record({ readOnly: fc.boolean(), timeout: duration, retryOf: fc.oneof(tx, str) }, { requiredKeys: [] });

  const C = "CollectionService", Q = "QueryService", T = "TransactionService", A = "AdminService";
  const rpc = (service, method, arb, kind = "read") => ({ service, method, kind, arb: arb.map((json) => ({ service, method, kind, json })) });
  return [
    rpc(C, "GetDocument", fc.record({ ref: ref(readCollection), mask: opt(mask) }, { requiredKeys: [] })),
    rpc(C, "BatchGetDocuments", fc.record({ refs: fc.array(ref(readCollection), { maxLength: 6 }), mask: opt(mask) }, { requiredKeys: [] })),
    rpc(C, "ListDocuments", fc.record({ collection: readCollection, pageSize: num, pageToken, mask: opt(mask) }, { requiredKeys: [] })),
    rpc(C, "CreateDocument", fc.tuple(ref(collection), body).map(([r, b]) => ({ ref: r, ...b })), "write"),
    rpc(C, "SetDocument", fc.tuple(ref(collection), body, opt(precondition)).map(([r, b, p]) => ({ ref: r, ...b, ...(p === undefined ? {} : { precondition: p }) })), "write"),
    rpc(C, "UpdateDocument", fc.record({ ref: ref(collection), patch, precondition: opt(precondition), transforms: opt(fc.array(transform, { maxLength: 3 })) }, { requiredKeys: [] }), "write"),
    rpc(C, "DeleteDocument", fc.record({ ref: ref(collection), precondition: opt(precondition) }, { requiredKeys: [] }), "write"),
    rpc(C, "BatchWriteDocuments", fc.record({ writes: writes(collection), returnDocuments: fc.boolean() }, { requiredKeys: [] }), "write"),
    rpc(C, "AddDocument", fc.tuple(collection, body).map(([c, b]) => ({ collection: c, ...b })), "write"),
    rpc(C, "ListCollections", fc.record({ pageSize: num, pageToken }, { requiredKeys: [] })),
    rpc(C, "DeleteCollection", fc.record({ collection: fc.oneof(fc.constantFrom(...ctx.scratch), str), batchSize: num }, { requiredKeys: [] }), "write"),
    rpc(Q, "RunQuery", fc.record({ query: query(readCollection), pageSize: num, pageToken, explain: fc.boolean() }, { requiredKeys: [] })),
    rpc(Q, "StreamQuery", fc.record({ query: query(readCollection), explain: fc.boolean() }, { requiredKeys: [] }), "stream"),
    rpc(Q, "RunAggregationQuery", fc.record({ query: query(readCollection), aggregations: fc.array(aggregation, { maxLength: 17 }), groupBy: fc.array(path, { maxLength: 9 }), explain: fc.boolean() }, { requiredKeys: [] })),
    rpc(Q, "Listen", fc.oneof(fc.record({ document: ref(readCollection), resumeToken }, { requiredKeys: [] }), fc.record({ query: query(readCollection), resumeToken }, { requiredKeys: [] })), "stream"),
    rpc(T, "BeginTransaction", fc.record({ options: txOptions }, { requiredKeys: [] })),
    // new_transaction begins the transaction in the call: with or without
    // an id beside it (both are refused), and with hostile options.
    rpc(T, "GetDocuments", fc.record({ transaction: tx, newTransaction: txOptions, refs: fc.array(ref(readCollection), { maxLength: 4 }) }, { requiredKeys: [] })),
    rpc(T, "Commit", fc.record({ transaction: tx, newTransaction: txOptions, writes: writes(collection), reads: fc.array(fc.record({ ref: ref(readCollection), version: num }, { requiredKeys: [] }), { maxLength: 3 }), returnDocuments: fc.boolean() }, { requiredKeys: [] }), "write"),
    rpc(T, "Rollback", fc.record({ transaction: tx }, { requiredKeys: [] })),
    rpc(T, "CommitBatch", fc.record({ writes: writes(collection), returnDocuments: fc.boolean() }, { requiredKeys: [] }), "write"),
    rpc(A, "GetRoutingTable", fc.constant({})),
    rpc(A, "ListShards", fc.constant({})),
    rpc(A, "CreateIndex", fc.record({ index }, { requiredKeys: [] }), "write"),
    rpc(A, "GetIndex", fc.record({ collection: readCollection, id: str }, { requiredKeys: [] })),
    rpc(A, "ListIndexes", fc.record({ collection: readCollection }, { requiredKeys: [] })),
    rpc(A, "DeleteIndex", fc.record({ collection: fc.oneof(fc.constantFrom(...ctx.scratch), str), id: str }, { requiredKeys: [] }), "write"),
    rpc(A, "CreateSearchIndex", fc.record({ index: searchIndex }, { requiredKeys: [] }), "write"),
    rpc(A, "GetSearchIndex", fc.record({ collection: readCollection }, { requiredKeys: [] })),
    rpc(A, "DeleteSearchIndex", fc.record({ collection: fc.oneof(fc.constantFrom(...ctx.scratch), str) }, { requiredKeys: [] }), "write"),
    rpc(A, "ExportDocuments", fc.record({ collection: readCollection, batchSize: num }, { requiredKeys: [] }), "stream"),
    rpc(A, "GetMetrics", fc.constant({})),
    // Databases, API keys, rules, resharding: arbitraries of { json, headers?, intact? } (admin-requests.mjs).
    ...adminRequestArbitraries(
      ctx,
      (service, method, arb, kind = "read") => ({ service, method, kind, arb: arb.map((r) => ({ service, method, kind, ...r })) }),
      hostileRules([...ctx.collections, ...ctx.scratch], names),
    ),
  ];
}

/** A structured filter (query.proto Filter, JSON form): random trees, and chains or fans far past the limits. */
function hostileFilter(path, value, typedValue) {
  const op = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...FIELD_OPS) }, { weight: 1, arbitrary: fc.constantFrom("OPERATOR_UNSPECIFIED", 0, 12, -1, 2 ** 31, "EQUAL") });
  const listValue = fc.oneof(value, fc.array(value, { maxLength: 5 }), fc.constantFrom(...WIDE_FILTER_COUNTS).map((n) => Array.from({ length: n }, (_, i) => i)));
  const tree = fc.letrec((tie) => ({
    filter: fc.oneof(
      { depthSize: "small", maxDepth: 4 },
      fc.record({ fieldFilter: fc.record({ field: path, op, value: listValue }, { requiredKeys: [] }) }),
      fc.record({ fieldFilter: fc.record({ field: path, op, typedValue, value: fc.option(listValue, { nil: undefined, freq: 4 }) }, { requiredKeys: [] }) }),
      fc.record({ compositeFilter: fc.record({ op: fc.constantFrom("OPERATOR_AND", "OPERATOR_OR", "OPERATOR_UNSPECIFIED", 3), filters: fc.array(tie("filter"), { maxLength: 3 }) }, { requiredKeys: [] }) }),
      fc.record({ notFilter: fc.record({ filter: tie("filter") }, { requiredKeys: [] }) }),
      fc.constant({}),
    ),
  })).filter;
  const leaf = { fieldFilter: { field: "n", op: "OPERATOR_EQUAL", value: 1 } };
  const chain = fc.constantFrom(...DEEP_FILTER_LEVELS).map((n) => {
    let f = leaf;
    for (let i = 0; i < n; i++) f = i % 2 === 0 ? { notFilter: { filter: f } } : { compositeFilter: { op: "OPERATOR_AND", filters: [f] } };
    return f;
  });
  const fan = fc.constantFrom(...WIDE_FILTER_COUNTS).map((n) => ({ compositeFilter: { op: "OPERATOR_OR", filters: Array.from({ length: n }, () => leaf) } }));
  return fc.oneof({ weight: 8, arbitrary: tree }, { weight: 1, arbitrary: chain }, { weight: 1, arbitrary: fan });
}

/** An AIP-160 filter text: token soup, near-valid comparisons, deep parentheses, long chains. */
function hostileFilterText(path, str) {
  const literal = fc.oneof(str.map((s) => JSON.stringify(s)), str.map((s) => `'${s}'`), hostileNumber.map(String), fc.constantFrom("true", "false", "null", "NULL", "1e309", "-", "\"\\u0000\"", "\"\\ud800\""));
  const comparison = fc.tuple(path, fc.constantFrom("=", "!=", "<", "<=", ">", ">=", ":", " IN "), literal).map(([p, o, v]) => `${p} ${o} ${v}`);
  const soup = fc.array(fc.oneof(fc.constantFrom(...TEXT_OPERATORS), path, literal, fc.constantFrom(...TRICKS)), { maxLength: 12 }).map((t) => t.join(" "));
  const deep = fc.constantFrom(21, 200, 5000).map((n) => "(".repeat(n) + "a = 1" + ")".repeat(n));
  const notChain = fc.constantFrom(21, 200, 5000).map((n) => "NOT ".repeat(n) + "a = 1");
  const long = fc.constantFrom(101, 501, 2000).map((n) => Array.from({ length: n }, (_, i) => `f${i} = ${i}`).join(" AND "));
  return fc.oneof(
    { weight: 4, arbitrary: comparison },
    { weight: 3, arbitrary: fc.array(comparison, { minLength: 2, maxLength: 4 }).map((c) => c.join(" AND ")) },
    { weight: 4, arbitrary: soup },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: notChain },
    { weight: 1, arbitrary: long },
  );
}
