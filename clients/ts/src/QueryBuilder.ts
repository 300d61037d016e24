/**
 * A fluent query over one collection, run by QueryService:
 *
 *   await db.collection("users").query().where("age", ">", 21).sort("lastName").limit(10).execute();
 *
 * Each method returns the builder, so calls chain; nothing is sent until
 * execute(), page(), stream(), aggregate(), listen() or onSnapshot().
 */
import { fromJson, toJson, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { snapshot, type DocumentSnapshot } from "./documents.js";
import {
  Aggregation_Function,
  CompositeFilter_Operator,
  FieldFilter_Operator,
  Order_Direction,
  type FilterSchema,
  type QueryPlan,
  type QuerySchema,
} from "./gen/impossibledb/v1/query_pb.js";
import type { SearchQuerySchema } from "./gen/impossibledb/v1/search_pb.js";
import { PAGE_SIZE_MAX, PAGES_PER_CALL_MAX, QUERY_COUNT_MAX } from "./limits.js";
import { checkedString, checkedStrings, checkOptions, suggestion, type OptionKinds } from "./options.js";
import { pageSizeOf, wholeNumberIn } from "./whole-numbers.js";
import { checkListenOptions, listenSnapshots, subscribe, type ListenOptions } from "./listen.js";
import { documentOrder, splitFieldPath } from "./listen-order.js";
import { ListenView, type QuerySnapshot } from "./listen-view.js";
import type { Services } from "./services.js";
import { inspectValue } from "./values.js";
import { decodeValue, encodeValue, type DocumentData, type TypedValue, type ValueDecoder } from "./value-codec.js";
import type { AggregationGroup } from "./gen/impossibledb/v1/query_pb.js";

/** Comparison operators of where(). */
export type WhereOperator = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not-in" | "array-contains" | "array-contains-any" | "exists";

const OPERATORS: Record<WhereOperator, FieldFilter_Operator> = {
  "==": FieldFilter_Operator.EQUAL,
  "!=": FieldFilter_Operator.NOT_EQUAL,
  "<": FieldFilter_Operator.LESS_THAN,
  "<=": FieldFilter_Operator.LESS_THAN_OR_EQUAL,
  ">": FieldFilter_Operator.GREATER_THAN,
  ">=": FieldFilter_Operator.GREATER_THAN_OR_EQUAL,
  in: FieldFilter_Operator.IN,
  "not-in": FieldFilter_Operator.NOT_IN,
  "array-contains": FieldFilter_Operator.ARRAY_CONTAINS,
  "array-contains-any": FieldFilter_Operator.ARRAY_CONTAINS_ANY,
  exists: FieldFilter_Operator.EXISTS,
};

/** The operators where() takes, in the order error messages list them. */
const OPERATOR_NAMES = Object.keys(OPERATORS) as readonly WhereOperator[];

/**
 * Operators from SQL, JavaScript, MongoDB and other clients, and the one
 * this SDK spells for them (`=` is SQL's and AIP-160's equality; filter()
 * takes AIP-160 text).
 */
const OPERATOR_HINTS: Readonly<Record<string, WhereOperator>> = {
  "=": "==", "===": "==", eq: "==", $eq: "==", is: "==",
  "<>": "!=", "!==": "!=", ne: "!=", $ne: "!=", "is not": "!=",
  "=>": ">=", "=<": "<=", gt: ">", $gt: ">", gte: ">=", $gte: ">=", ge: ">=", lt: "<", $lt: "<", lte: "<=", $lte: "<=", le: "<=",
  $in: "in", "any-of": "in",
  "not in": "not-in", not_in: "not-in", notin: "not-in", notIn: "not-in", nin: "not-in", $nin: "not-in", "!in": "not-in",
  contains: "array-contains", includes: "array-contains", has: "array-contains", array_contains: "array-contains", arrayContains: "array-contains",
  "contains-any": "array-contains-any", containsAny: "array-contains-any", array_contains_any: "array-contains-any", arrayContainsAny: "array-contains-any",
  exist: "exists", $exists: "exists", "is not null": "exists",
};

/** An aggregate to compute: build one with count(), sum(), avg(), min() or max(). */
export interface AggregateSpec {
  readonly fn: "count" | "sum" | "avg" | "min" | "max";
  readonly field?: string;
}

/** The number of matching documents, or of those where `field` is present. */
export const count = (field?: string): AggregateSpec => ({ fn: "count", field });
/** The sum of `field`'s numeric values. */
export const sum = (field: string): AggregateSpec => ({ fn: "sum", field });
/** The mean of `field`'s numeric values. */
export const avg = (field: string): AggregateSpec => ({ fn: "avg", field });
/** The least value of `field`. */
export const min = (field: string): AggregateSpec => ({ fn: "min", field });
/** The greatest value of `field`. */
export const max = (field: string): AggregateSpec => ({ fn: "max", field });

const FUNCTIONS: Record<AggregateSpec["fn"], Aggregation_Function> = {
  count: Aggregation_Function.COUNT,
  sum: Aggregation_Function.SUM,
  avg: Aggregation_Function.AVG,
  min: Aggregation_Function.MIN,
  max: Aggregation_Function.MAX,
};

/** One group of an aggregation. */
export interface AggregateGroup {
  /** The group-by values, in the order they were named, in JavaScript's types as documents' data; empty without group-by. */
  key: TypedValue[];
  /**
   * The results, by alias: count() a number; sum() over integers only a
   * bigint (exact while the total fits int64; with a double among them, or
   * a total outside int64, a number); avg() a number; min() and max() the
   * value as stored (a bigint, a number, a Date, a string...).
   */
  values: Record<string, TypedValue>;
}

/** One result of a search: the document, its BM25 score, its distance and its highlighted snippets. */
export interface SearchResult<T extends DocumentData = DocumentData> {
  readonly doc: DocumentSnapshot<T>;
  /** BM25 with statistics over every shard; higher is better. 0 without search(). */
  readonly score: number;
  /** With near(): the great-circle distance from its center, in meters; 0 otherwise. */
  readonly distanceMeters: number;
  /**
   * Per text field that matched, a snippet of its original text with each
   * match between `<mark>` and `</mark>` (when `highlight` was asked for).
   * A snippet is HTML, ready to render as it is: the server escapes the
   * text (`&`, `<`, `>`, `"`, `'` become entities; `R&D` comes back as
   * `<mark>R</mark>&amp;<mark>D</mark>`), so do not escape it again (see
   * docs/search.md). For plain text, drop the tags and decode the entities.
   */
  readonly highlights: Record<string, string>;
}

/**
 * A point in degrees for near() and within(): a plain `{ lat, lng }`, or a
 * GeoPoint (which has `lat` and `lng` too). Documents store geo points as
 * GeoPoints (or, in their JSON form, `{ latitude, longitude }` maps).
 */
export interface LatLng {
  readonly lat: number;
  readonly lng: number;
}

/**
 * A region for QueryBuilder.within(): a box by its south-west (`low`) and
 * north-east (`high`) corners (low.lng > high.lng crosses the
 * antimeridian), or a polygon as its vertices (3 to 1,000; straight edges
 * in latitude/longitude, each the short way round; see docs/geo.md).
 */
export type GeoRegion = { readonly low: LatLng; readonly high: LatLng } | readonly LatLng[];

/** Options of QueryBuilder.search(). */
export interface SearchOptions {
  /** Turns typo tolerance off (on by default: 1 edit from 5 characters, 2 from 9). */
  readonly exact?: boolean;
  /** Asks for highlighted snippets of the matching fields. */
  readonly highlight?: boolean;
}

/** Every key of SearchOptions and its kind (options.ts refuses any other key, and a value of another kind). */
const SEARCH_OPTIONS = { exact: "boolean", highlight: "boolean" } as const satisfies OptionKinds<SearchOptions>;

/** Options of QueryBuilder.page(). */
export interface PageOptions {
  /** Documents per page, 1 to 1000; the server's default (100) when unset. */
  pageSize?: number;
  /** The nextPageToken of the previous page. */
  pageToken?: string;
  /** Also return how the query ran (QueryPage.plan). */
  explain?: boolean;
}

/** Every key of PageOptions. */
const PAGE_OPTIONS = { pageSize: "number", pageToken: "string", explain: "boolean" } as const satisfies OptionKinds<PageOptions>;

/** Options of QueryBuilder.stream(). */
export interface StreamOptions {
  /** Stops the stream. */
  signal?: AbortSignal;
}

/** Every key of StreamOptions. */
const STREAM_OPTIONS = { signal: "signal" } as const satisfies OptionKinds<StreamOptions>;

/** Options of QueryBuilder.aggregate(). */
export interface AggregateOptions {
  /** Field paths to group by: one group per distinct combination of their values. */
  groupBy?: string[];
}

/** Every key of AggregateOptions. */
const AGGREGATE_OPTIONS = { groupBy: "strings" } as const satisfies OptionKinds<AggregateOptions>;

/** One page of query results. */
export interface QueryPage<T extends DocumentData = DocumentData> {
  documents: DocumentSnapshot<T>[];
  /** With search(): one result per document, in the same order; empty otherwise. */
  hits: SearchResult<T>[];
  /** Pass to page() for the next page; empty on the last page. */
  nextPageToken: string;
  /** How the query ran, when explain was asked for. */
  plan?: QueryPlan;
}

type Filter = MessageInitShape<typeof FilterSchema>;

/** A sort() direction. */
export type SortDirection = "asc" | "desc";

/** The directions sort() takes; anything else is refused (an own-property lookup, so "constructor" is no direction). */
const DIRECTIONS: Readonly<Record<SortDirection, Order_Direction>> = { asc: Order_Direction.ASCENDING, desc: Order_Direction.DESCENDING };

/** Spellings other clients and SQL use, and the direction they mean here. */
const DIRECTION_HINTS: Readonly<Record<string, SortDirection>> = { asc: "asc", ascending: "asc", desc: "desc", descending: "desc" };

/** A query over one collection. Obtain one with Collection.query(). */
export class QueryBuilder<T extends DocumentData = DocumentData> {
  private readonly filters: Filter[] = [];
  private readonly orderBy: { field: string; direction: Order_Direction }[] = [];
  private aip160 = "";
  private limitCount = 0;
  private offsetCount = 0;
  private selected: string[] | undefined;
  private searched: { text: string; exact: boolean; highlight: boolean } | undefined;
  private geo: Pick<MessageInitShape<typeof SearchQuerySchema>, "near" | "within"> | undefined;

  /** @internal */
  constructor(
    private readonly services: Services,
    /** The collection queried. */
    readonly collection: string,
  ) {}

  /**
   * Keeps documents whose `field` compares to `value` by `op`; several
   * where() calls must all hold. The value is checked as document data is
   * (values.ts): an unsafe integer, undefined and the like throw a
   * TypeError here rather than match something else. A typed value (a
   * bigint, Date, Timestamp, Uint8Array, GeoPoint or DocumentReference,
   * alone or in the list of "in", "not-in" and "array-contains-any") is
   * sent in the typed form and compares with typed values: `where("n", ">",
   * 5n)` against integers (and doubles, as numbers), `where("at", ">=",
   * new Date(...))` against timestamps; a range filter matches values of
   * its operand's type only (so a Date never matches a timestamp stored as
   * text).
   */
  where(field: string, op: WhereOperator, value?: TypedValue): this {
    // `op` may come from untyped code: an inherited name such as "constructor" is no operator.
    const operator = Object.hasOwn(OPERATORS, op) ? OPERATORS[op] : undefined;
    checkedString(`query on ${this.collection}: where(): the field path`, field);
    const where = `query on ${this.collection}: where(${JSON.stringify(field)}, ${JSON.stringify(op)}, value)`;
    if (operator === undefined) {
      const hint = typeof op === "string" ? (Object.hasOwn(OPERATOR_HINTS, op.trim()) ? OPERATOR_HINTS[op.trim()] : suggestion(op.trim(), OPERATOR_NAMES)) : undefined;
      throw new ConnectError(`${where}: unknown operator ${JSON.stringify(op)}${hint === undefined ? "" : `; did you mean "${hint}"?`} (operators: ${OPERATOR_NAMES.join(", ")})`, Code.InvalidArgument);
    }
    // Only "exists" takes no value; an undefined operand elsewhere is a
    // mistake the server would see as a missing value.
    if (value === undefined && op !== "exists") throw new TypeError(`${where}: the value is undefined; "${op}" needs one (null compares with null)`);
    const typed = value !== undefined && inspectValue(where, value);
    const operand = value === undefined || typed ? undefined : fromJson(ValueSchema, value as JsonValue);
    const typedValue = typed ? encodeValue(value) : undefined;
    this.filters.push({ filterType: { case: "fieldFilter", value: { field, op: operator, value: operand, typedValue } } });
    return this;
  }

  /** Also keeps only documents matching an AIP-160 filter, such as `age > 21 AND status = "active"`. */
  filter(expression: string): this {
    checkedString(`query on ${this.collection}: filter(): the expression`, expression);
    this.aip160 = this.aip160 === "" ? expression : `(${this.aip160}) AND (${expression})`;
    return this;
  }

  /**
   * Sorts by `field`, "asc" (the default) or "desc"; earlier sort() calls
   * weigh more. The id breaks ties.
   * @throws TypeError for any other direction ("DESC", "descending"), naming
   * it: untyped code would otherwise sort ascending without a word.
   */
  sort(field: string, direction: SortDirection = "asc"): this {
    checkedString(`query on ${this.collection}: sort(): the field path`, field);
    const wire = Object.hasOwn(DIRECTIONS, direction) ? DIRECTIONS[direction] : undefined;
    if (wire === undefined) {
      const spelt = String(direction).toLowerCase();
      const hint = Object.hasOwn(DIRECTION_HINTS, spelt) ? DIRECTION_HINTS[spelt] : undefined;
      throw new TypeError(`query on ${this.collection}: sort(${JSON.stringify(field)}, ${JSON.stringify(direction)}): the direction must be "asc" or "desc"${hint === undefined ? "" : `; did you mean "${hint}"?`}`);
    }
    this.orderBy.push({ field, direction: wire });
    return this;
  }

  /**
   * Returns at most `n` documents in all, 1 or more: to return every
   * document, leave limit() out.
   * @throws RangeError for 0 (on the wire 0 means no limit, so `limit(0)`
   * returned every document), a fraction, or more than 2^31-1.
   */
  limit(n: number): this {
    this.limitCount = wholeNumberIn(n, 1, QUERY_COUNT_MAX, `query on ${this.collection}: limit()`, "leave limit() out for no limit");
    return this;
  }

  /**
   * Skips the first `n` matching documents (0, the default, skips none).
   * @throws RangeError for a negative number, a fraction, or more than 2^31-1.
   */
  offset(n: number): this {
    this.offsetCount = wholeNumberIn(n, 0, QUERY_COUNT_MAX, `query on ${this.collection}: offset()`);
    return this;
  }

  /** Returns only these field paths of each document. */
  select(...fields: string[]): this {
    this.selected = checkedStrings(`query on ${this.collection}: select(): the field paths`, fields);
    return this;
  }

  /**
   * Full-text search over the collection's search index (created with
   * AdminService.CreateSearchIndex): terms (all must match), "phrases",
   * prefixes `foo*`, AND, OR, NOT and parentheses. Results are ranked by
   * BM25 (highest first), computed with statistics over every shard; the
   * other conditions still filter. Read the ranked results with hits() or
   * page().hits. Cannot be combined with sort().
   *
   *   const hits = await db.collection("articles").query().search("quick fox", { highlight: true }).limit(10).hits();
   */
  search(text: string, options: SearchOptions = {}): this {
    checkOptions("search()", options, SEARCH_OPTIONS);
    if (typeof text !== "string" || text.trim() === "") throw new ConnectError("search(): the text must be a non-empty string", Code.InvalidArgument);
    this.searched = { text, exact: options.exact ?? false, highlight: options.highlight ?? false };
    return this;
  }

  /**
   * Keeps documents within `radiusMeters` (0 to 20,037,509) of `center`, by
   * great-circle distance, over the collection's search index's geo field.
   * Without search(), results come nearest first; hits() and page().hits
   * give each one's distance. Cannot be combined with within() or sort().
   *
   *   const nearby = await db.collection("places").query().near({ lat: 48.8566, lng: 2.3522 }, 2000).limit(10).hits();
   */
  near(center: LatLng, radiusMeters: number): this {
    if (!Number.isFinite(radiusMeters) || radiusMeters < 0) throw new ConnectError("near(): radiusMeters must be a finite number, 0 or more", Code.InvalidArgument);
    this.geo = { near: { center: geoPoint(center, "near()"), radiusMeters } };
    return this;
  }

  /**
   * Keeps documents inside a box or a polygon (see GeoRegion), over the
   * collection's search index's geo field; without search(), by id.
   * Cannot be combined with near() or sort().
   *
   *   const pacific = await db.collection("places").query().within({ low: { lat: -25, lng: 170 }, high: { lat: -10, lng: -170 } }).execute();
   */
  within(region: GeoRegion): this {
    if (Array.isArray(region)) {
      const vertices = (region as readonly LatLng[]).map((v, i) => geoPoint(v, `within(): vertex ${i}`));
      this.geo = { within: { region: { case: "polygon", value: { vertices } } } };
    } else {
      const box = region as { low: LatLng; high: LatLng };
      this.geo = { within: { region: { case: "box", value: { low: geoPoint(box.low, "within(): low"), high: geoPoint(box.high, "within(): high") } } } };
    }
    return this;
  }

  /** Runs a search(), near() or within() query and returns every result with its hit (up to limit), reading page after page. */
  async hits(): Promise<SearchResult<T>[]> {
    if (this.searched === undefined && this.geo === undefined) throw new ConnectError("hits(): call search(), near() or within() first", Code.FailedPrecondition);
    const out: SearchResult<T>[] = [];
    let pageToken = "";
    for (let pages = 0; pages < PAGES_PER_CALL_MAX; pages++) {
      const page = await this.page({ pageSize: PAGE_SIZE_MAX, pageToken });
      out.push(...page.hits);
      if (page.nextPageToken === "") return out;
      pageToken = page.nextPageToken;
    }
    throw new ConnectError(`the search took more than ${PAGES_PER_CALL_MAX} pages; use page()`, Code.ResourceExhausted);
  }

  /** The query in the wire's form. */
  toProto(): MessageInitShape<typeof QuerySchema> {
    return {
      collection: this.collection,
      where: combine(this.filters),
      filter: this.aip160,
      orderBy: this.orderBy,
      limit: this.limitCount,
      offset: this.offsetCount,
      select: this.selected === undefined ? undefined : { fieldPaths: this.selected },
      search: this.searched === undefined && this.geo === undefined ? undefined : { ...this.searched, ...this.geo },
    };
  }

  /** Runs the query and returns every matching document (up to limit), reading page after page. */
  async execute(): Promise<DocumentSnapshot<T>[]> {
    const out: DocumentSnapshot<T>[] = [];
    let pageToken = "";
    for (let pages = 0; pages < PAGES_PER_CALL_MAX; pages++) {
      const page = await this.page({ pageSize: PAGE_SIZE_MAX, pageToken });
      out.push(...page.documents);
      if (page.nextPageToken === "") return out;
      pageToken = page.nextPageToken;
    }
    throw new ConnectError(`the query took more than ${PAGES_PER_CALL_MAX} pages; use stream() or page()`, Code.ResourceExhausted);
  }

  /** Runs the query and returns one page. */
  async page(options: PageOptions = {}): Promise<QueryPage<T>> {
    checkOptions(`page() on ${this.collection}`, options, PAGE_OPTIONS);
    const pageSize = pageSizeOf(options.pageSize, `page() on ${this.collection}`);
    const res = await this.services.query.runQuery({ query: this.toProto(), pageSize, pageToken: options.pageToken, explain: options.explain });
    const documents = res.documents.map((d) => snapshot<T>(d, this.services.decoder));
    const hits = res.hits.map((h, i) => ({ doc: documents[i]!, score: h.score, distanceMeters: h.distanceMeters, highlights: { ...h.highlights } }));
    return { documents, hits, nextPageToken: res.nextPageToken, plan: res.plan };
  }

  /** Runs the query and yields documents as the shards' results merge. */
  async *stream(options: StreamOptions = {}): AsyncIterable<DocumentSnapshot<T>> {
    checkOptions(`stream() on ${this.collection}`, options, STREAM_OPTIONS);
    for await (const msg of this.services.query.streamQuery({ query: this.toProto() }, { signal: options.signal })) {
      if (msg.result.case === "document") yield snapshot<T>(msg.result.value, this.services.decoder);
    }
  }

  /**
   * Listens to the query's result: yields a snapshot of it first
   * (`initial`), then one after every commit that changes it, until the
   * loop is left or `options.signal` aborts. Each snapshot has every
   * matching document in query order (`docs`; with a limit, the first
   * `limit`) and what changed (`docChanges`); a transaction's changes are
   * always in one snapshot. The listener reconnects by itself after
   * transient failures from its last resume token, and starts over from a
   * fresh snapshot (`restarted`) when the token has outlived the server's
   * change log (OUT_OF_RANGE, after 48 h by default). Offset is not
   * supported. Throws a ConnectError when it fails for good:
   * INVALID_ARGUMENT (offset, a bad filter), RESOURCE_EXHAUSTED (more
   * than LISTEN_MATCHED_DOCUMENTS_MAX, 10,000, matching documents), or the last
   * transient error after `options.reconnect.attemptsMax` streams in a row
   * that reached the server but no token; a server that cannot be reached
   * (down, restarting) is retried until `options.signal` aborts. Throws
   * INVALID_ARGUMENT at once when select() leaves out a sort field: the
   * snapshots could not be kept in query order without it.
   *
   *   for await (const snap of db.collection("users").query().where("age", ">", 21).listen()) render(snap.docs);
   */
  listen(options: ListenOptions = {}): AsyncIterable<QuerySnapshot<T>> {
    checkListenOptions(`listen() on ${this.collection}`, options);
    const unselected = this.selected === undefined ? [] : this.orderBy.filter((o) => !covers(this.selected!, o.field));
    if (unselected.length > 0) {
      throw new ConnectError(`listen(): select() must include the sort fields (${unselected.map((o) => o.field).join(", ")}), or snapshots could not be kept in query order`, Code.InvalidArgument);
    }
    const query = this.toProto();
    const order = documentOrder(this.orderBy.map((o) => ({ field: o.field, descending: o.direction === Order_Direction.DESCENDING })));
    const open = (resumeToken: string, signal: AbortSignal) => this.services.live.listen({ target: { case: "query", value: query }, resumeToken }, { signal });
    return listenSnapshots(open, new ListenView<T>(order, this.services.decoder), options);
  }

  /**
   * Calls `onNext` with each snapshot listen() would yield, until the
   * returned function is called (Firestore's onSnapshot). An error that
   * ends the listener, or one thrown by `onNext`, goes to `onError`
   * (console.error without one); nothing is called after unsubscribing.
   */
  onSnapshot(onNext: (snapshot: QuerySnapshot<T>) => void, onError?: (error: ConnectError) => void, options: Omit<ListenOptions, "signal"> = {}): () => void {
    checkListenOptions(`onSnapshot() on ${this.collection}`, options);
    return subscribe((signal) => this.listen({ ...options, signal }), onNext, onError);
  }

  /**
   * Computes aggregates over the matching documents, optionally grouped:
   * `aggregate({ n: count(), meanAge: avg("age") }, { groupBy: ["status"] })`.
   * An aggregation counts the whole filtered result: a query with sort(),
   * limit(), offset() or select() (or search(), near(), within()) is
   * refused with INVALID_ARGUMENT, as the server refuses it, rather than
   * computed over every matching document while looking limited.
   */
  async aggregate(specs: Record<string, AggregateSpec>, options: AggregateOptions = {}): Promise<AggregateGroup[]> {
    checkOptions(`aggregate() on ${this.collection}`, options, AGGREGATE_OPTIONS);
    this.assertAggregatable();
    const query = { collection: this.collection, where: combine(this.filters), filter: this.aip160 };
    const aggregations = Object.entries(specs).map(([alias, spec]) => {
      // As in where(): only the table's own entries are functions, whatever untyped code passes.
      if (typeof spec !== "object" || spec === null || !Object.hasOwn(FUNCTIONS, spec.fn)) {
        throw new ConnectError(`aggregate() on ${this.collection}: ${alias}: unknown aggregate function ${JSON.stringify(spec?.fn)} (make one with count(), sum(), avg(), min() or max())`, Code.InvalidArgument);
      }
      const field = spec.field === undefined ? "" : checkedString(`aggregate() on ${this.collection}: ${alias}: ${spec.fn}()'s field path`, spec.field);
      return { alias, function: FUNCTIONS[spec.fn], field };
    });
    const res = await this.services.query.runAggregationQuery({ query, aggregations, groupBy: options.groupBy ?? [] });
    const counts = new Set(Object.entries(specs).filter(([, spec]) => spec.fn === "count").map(([alias]) => alias));
    return res.groups.map((g) => aggregateGroup(g, counts, this.services.decoder));
  }

  /**
   * Refuses what RunAggregationQuery refuses (query-spec.ts on the server:
   * "an aggregation's query must leave order_by, limit, offset and select
   * unset"; search is RunQuery's): aggregate() sent only the filters, so
   * `sort("i").limit(5).aggregate({ n: count() })` counted every document.
   */
  private assertAggregatable(): void {
    const set = [
      this.orderBy.length > 0 ? "sort()" : undefined,
      this.limitCount !== 0 ? "limit()" : undefined,
      this.offsetCount !== 0 ? "offset()" : undefined,
      this.selected !== undefined ? "select()" : undefined,
    ].filter((s) => s !== undefined);
    if (set.length > 0) {
      throw new ConnectError(
        `aggregate() on ${this.collection}: an aggregation counts the whole filtered result, so its query must leave sort, limit, offset and select unset; remove ${set.join(", ")} (keep where() and filter())`,
        Code.InvalidArgument,
      );
    }
    if (this.searched !== undefined || this.geo !== undefined) {
      throw new ConnectError(`aggregate() on ${this.collection}: search(), near() and within() are not supported by aggregations; use execute(), hits() or page()`, Code.InvalidArgument);
    }
  }
}

/**
 * One group in JavaScript's types: the typed key and results when the
 * server sent them (and the client does not ask for JSON), else the JSON
 * ones. A count stays a number, as it was before typed results: a count is
 * far below 2^53, and a bigint would break code that adds it to numbers.
 */
function aggregateGroup(g: AggregationGroup, counts: ReadonlySet<string>, decoder: ValueDecoder): AggregateGroup {
  const typed = decoder.values === "typed";
  const key = typed && g.typedKey.length === g.key.length && g.key.length > 0 ? g.typedKey.map((v) => decodeValue(v, decoder)) : g.key.map((v) => toJson(ValueSchema, v));
  const values = Object.fromEntries(
    Object.entries(g.results).map(([alias, v]) => {
      const t = typed && !counts.has(alias) && Object.hasOwn(g.typedResults, alias) ? g.typedResults[alias] : undefined;
      return [alias, t === undefined ? toJson(ValueSchema, v) : decodeValue(t, decoder)];
    }),
  );
  return { key, values };
}

function combine(filters: Filter[]): Filter | undefined {
  if (filters.length === 0) return undefined;
  if (filters.length === 1) return filters[0];
  return { filterType: { case: "compositeFilter", value: { op: CompositeFilter_Operator.AND, filters } } };
}

/** True when one of the selected paths is `field` or a map that holds it. */
function covers(selected: readonly string[], field: string): boolean {
  const target = splitFieldPath(field);
  return selected.some((path) => {
    const segments = splitFieldPath(path);
    return segments.length <= target.length && segments.every((s, i) => s === target[i]);
  });
}

/** A GeoPoint in the wire's form; a TypeError for anything but finite numbers. */
function geoPoint(point: LatLng, where: string): { latitude: number; longitude: number } {
  if (typeof point !== "object" || point === null || !Number.isFinite(point.lat) || !Number.isFinite(point.lng)) {
    throw new TypeError(`${where}: a point is { lat, lng } with finite numbers in degrees`);
  }
  return { latitude: point.lat, longitude: point.lng };
}
