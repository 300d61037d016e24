/**
 * The floor: what the platform costs by itself. One Worker forwards each
 * request over Workers RPC to ONE Durable Object, which runs the same SQL as
 * an ImpossibleDB shard (`src/storage/document-store.ts`): the same table, the
 * same per-shard version sequence, the same upsert inside `transactionSync`.
 * There is no Connect, no protobuf, no validation, no routing, and documents
 * stay JSON text end to end.
 *
 * Routes (all POST, id in the query string, body = document JSON or ids):
 *   /noop                  answered by the Worker alone
 *   /noop-stream           Worker alone, but bodies read and written as
 *                          streams, the way Connect's fetch adapter does
 *   /do-noop               Worker -> DO call that does nothing
 *   /do-fanout?n=          Worker -> n DO calls in parallel (n distinct objects,
 *                          1..16) that do nothing: the platform's floor for a
 *                          query that asks every one of n shards
 *   /get?id=               read one document
 *   /put?id=               write one document (new version)
 *   /put-if?id=&version=   write only if the stored version matches
 *   /increment?id=&field=&by=  add to a number field of an existing document (read, change,
 *                          store in one transactionSync, as a shard applies a transform)
 *   /batch-get             body: JSON array of ids
 *   /batch-put             body: JSON array of [id, document] pairs
 *   /put-commits?style=    body as /batch-put; writes them for the group-commit probe
 *                          (bench/group-commit.ts): `separate`, one transactionSync
 *                          each (one SQLite commit each, as a shard's writes are);
 *                          `implicit`, no transactionSync (workerd's implicit
 *                          transaction, one commit for all)
 *   /commit-pair           body: two [id, document] pairs, written in one transactionSync
 *   /load-accounts         body: {"ids": [...], "balance": n}, bank collection
 *   /transfer?from=&to=&amount=  reads both balances and writes both back, in one transactionSync
 *   /total-balance         body: JSON array of account ids; answers the sum
 *   /fts-load              body: JSON array of [id, title tokens, body tokens, data JSON];
 *                          stores them in ONE object's FTS5 table (bench/search.ts's
 *                          baseline: one SQLite FTS5 database on the platform)
 *   /fts-optimize          merges that FTS5 table's segments into one (FTS5's
 *                          `optimize`); answers the milliseconds it took
 *   /fts-search?limit=     body: an FTS5 match expression; answers the top `limit`
 *                          documents by FTS5's own bm25() (title weight 2, body 1),
 *                          as JSON [{ id, data, score }]
 */
import { DurableObject } from "cloudflare:workers";

interface Env {
  FLOOR: DurableObjectNamespace<FloorObject>;
}

const COLLECTION = "usertable";
const BANK_COLLECTION = "bank";

interface Row extends Record<string, SqlStorageValue> {
  data: string;
  version: number;
}

/** The one Durable Object: the same schema and statements as a shard. */
export class FloorObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS documents (
         collection TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
         version INTEGER NOT NULL CHECK (version > 0),
         create_time_ms INTEGER NOT NULL, update_time_ms INTEGER NOT NULL, size_bytes INTEGER NOT NULL,
         PRIMARY KEY (collection, id)
       ) WITHOUT ROWID`,
    );
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS shard_sequence (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), last_version INTEGER NOT NULL)",
    );
    ctx.storage.sql.exec("INSERT OR IGNORE INTO shard_sequence (singleton, last_version) VALUES (1, 0)");
  }

  noop(): null {
    return null;
  }

  get(id: string): string | null {
    const row = this.read(id);
    return row === null ? null : `{"version":${row.version},"data":${row.data}}`;
  }

  getMany(ids: string[]): string {
    const found = ids.map((id) => this.read(id)).filter((r) => r !== null);
    return `[${found.map((r) => `{"version":${r.version},"data":${r.data}}`).join(",")}]`;
  }

  /** Writes one document; with `expectedVersion`, only if it matches. Returns the new version, or 0 on a mismatch. */
  put(id: string, json: string, expectedVersion: number | null): number {
    return this.ctx.storage.transactionSync(() => {
      if (expectedVersion !== null && this.read(id)?.version !== expectedVersion) return 0;
      return this.store(id, json, Date.now());
    });
  }

  /** Adds `by` to `field` of an existing document in one transaction; answers the new value. */
  increment(id: string, field: string, by: number): number {
    return this.ctx.storage.transactionSync(() => {
      const row = this.read(id);
      if (row === null) throw new Error(`document ${id} is missing`);
      const data = JSON.parse(row.data) as Record<string, unknown>;
      const current = data[field];
      const next = typeof current === "number" ? current + by : by;
      data[field] = next;
      this.store(id, JSON.stringify(data), Date.now());
      return next;
    });
  }

  putMany(entries: Array<[string, string]>): number {
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      for (const [id, json] of entries) this.store(id, json, now);
      return entries.length;
    });
  }

  /** The group-commit probe: the same writes as putMany, committed one by one or in workerd's implicit transaction. */
  putCommits(entries: Array<[string, string]>, style: string): number {
    const now = Date.now();
    if (style === "separate") for (const [id, json] of entries) this.ctx.storage.transactionSync(() => this.store(id, json, now));
    else if (style === "implicit") for (const [id, json] of entries) this.store(id, json, now);
    else throw new Error(`unknown style ${style}`);
    return entries.length;
  }

  /** Writes both documents in one transaction: the floor of a two-document atomic write. */
  commitPair(entries: Array<[string, string]>): number {
    return this.putMany(entries);
  }

  loadAccounts(ids: string[], balance: number): number {
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      for (const id of ids) this.store(id, JSON.stringify({ balance }), now, BANK_COLLECTION);
      return ids.length;
    });
  }

  /** A bank transfer in one transaction: the DO runs one at a time, so nothing can conflict. */
  transfer(from: string, to: string, amount: number): number {
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      const a = this.balance(from);
      const b = this.balance(to);
      this.store(from, JSON.stringify({ balance: a - amount }), now, BANK_COLLECTION);
      this.store(to, JSON.stringify({ balance: b + amount }), now, BANK_COLLECTION);
      return 0;
    });
  }

  /** The search baseline's load: documents and their pre-tokenized text, in one transaction. */
  ftsLoad(rows: Array<[string, string, string, string]>): number {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS fts_docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, data TEXT NOT NULL)");
    sql.exec("CREATE VIRTUAL TABLE IF NOT EXISTS fts_text USING fts5(c0, c1, tokenize = 'ascii', prefix = '2 3')");
    return this.ctx.storage.transactionSync(() => {
      for (const [id, title, body, data] of rows) {
        const { rowid } = sql.exec<{ rowid: number }>("INSERT INTO fts_docs (id, data) VALUES (?, ?) RETURNING rowid", id, data).one();
        sql.exec("INSERT INTO fts_text (rowid, c0, c1) VALUES (?, ?, ?)", rowid, title, body);
      }
      return rows.length;
    });
  }

  /**
   * Merges the search baseline's FTS5 segments into one (FTS5's `optimize`
   * command), as a database loaded once and then only searched would be;
   * ImpossibleDB's shards compact an index at rest the same way
   * (src/search/compaction.ts). Answers the milliseconds it took.
   */
  ftsOptimize(): number {
    const started = Date.now();
    this.ctx.storage.sql.exec("INSERT INTO fts_text (fts_text) VALUES ('optimize')");
    return Date.now() - started;
  }

  /** The search baseline's query: the top `limit` by FTS5's bm25(), documents included, as JSON. */
  ftsSearch(match: string, limit: number): string {
    const rows = this.ctx.storage.sql
      .exec<{ id: string; data: string; s: number }>(
        "SELECT d.id, d.data, bm25(fts_text, 2.0, 1.0) AS s FROM fts_text JOIN fts_docs AS d ON d.rowid = fts_text.rowid WHERE fts_text MATCH ? ORDER BY s, d.id LIMIT ?",
        match,
        limit,
      )
      .toArray();
    return `[${rows.map((r) => `{"id":${JSON.stringify(r.id)},"data":${r.data},"score":${-r.s}}`).join(",")}]`;
  }

  totalBalance(ids: string[]): number {
    return ids.reduce((sum, id) => sum + this.balance(id), 0);
  }

  private balance(id: string): number {
    const row = this.read(id, BANK_COLLECTION);
    if (row === null) throw new Error(`account ${id} is missing`);
    return (JSON.parse(row.data) as { balance: number }).balance;
  }

  private read(id: string, collection = COLLECTION): Row | null {
    const rows = this.ctx.storage.sql
      .exec<Row>("SELECT data, version FROM documents WHERE collection = ? AND id = ?", collection, id)
      .toArray();
    return rows[0] ?? null;
  }

  private store(id: string, json: string, nowMs: number, collection = COLLECTION): number {
    const { last_version: version } = this.ctx.storage.sql
      .exec<{ last_version: number }>("UPDATE shard_sequence SET last_version = last_version + 1 WHERE singleton = 1 RETURNING last_version")
      .one();
    this.ctx.storage.sql.exec(
      `INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (collection, id) DO UPDATE SET
         data = excluded.data, version = excluded.version,
         update_time_ms = excluded.update_time_ms, size_bytes = excluded.size_bytes`,
      collection, id, json, version, nowMs, nowMs, json.length,
    );
    return version;
  }
}

/** Reads the body chunk by chunk and answers with a pull-based stream, as Connect's universal fetch adapter does. */
async function streamedEcho(request: Request): Promise<Response> {
  const chunks: Uint8Array[] = [];
  if (request.body !== null) for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  const answer = new TextEncoder().encode("null");
  async function* body() {
    yield answer;
  }
  const it = body();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (next.done === true) controller.close();
      else controller.enqueue(next.value);
    },
  });
  return new Response(stream);
}

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/noop") return new Response("null");
    if (url.pathname === "/noop-stream") return streamedEcho(request);
    const stub = env.FLOOR.get(env.FLOOR.idFromName("floor"));
    const id = url.searchParams.get("id") ?? "";
    switch (url.pathname) {
      case "/do-noop":
        await stub.noop();
        return new Response("null");
      case "/do-fanout": {
        const n = Math.min(16, Math.max(1, Number(url.searchParams.get("n")) || 1));
        await Promise.all(Array.from({ length: n }, (_, i) => env.FLOOR.get(env.FLOOR.idFromName(`fanout-${i}`)).noop()));
        return new Response("null");
      }
      case "/get": {
        const found = await stub.get(id);
        return found === null ? new Response("not found", { status: 404 }) : new Response(found);
      }
      case "/put":
        return new Response(String(await stub.put(id, await request.text(), null)));
      case "/put-if":
        return new Response(String(await stub.put(id, await request.text(), Number(url.searchParams.get("version")))));
      case "/put-commits":
        return new Response(String(await stub.putCommits((await request.json()) as Array<[string, string]>, url.searchParams.get("style") ?? "")));
      case "/increment":
        return new Response(String(await stub.increment(id, url.searchParams.get("field") ?? "n", Number(url.searchParams.get("by")))));
      case "/batch-get":
        return new Response(await stub.getMany((await request.json()) as string[]));
      case "/batch-put":
        return new Response(String(await stub.putMany((await request.json()) as Array<[string, string]>)));
      case "/commit-pair":
        return new Response(String(await stub.commitPair((await request.json()) as Array<[string, string]>)));
      case "/load-accounts": {
        const { ids, balance } = (await request.json()) as { ids: string[]; balance: number };
        return new Response(String(await stub.loadAccounts(ids, balance)));
      }
      case "/transfer":
        return new Response(String(await stub.transfer(url.searchParams.get("from") ?? "", url.searchParams.get("to") ?? "", Number(url.searchParams.get("amount")))));
      case "/fts-load":
        return new Response(String(await env.FLOOR.get(env.FLOOR.idFromName("fts")).ftsLoad((await request.json()) as Array<[string, string, string, string]>)));
      case "/fts-optimize":
        return new Response(String(await env.FLOOR.get(env.FLOOR.idFromName("fts")).ftsOptimize()));
      case "/fts-search":
        return new Response(await env.FLOOR.get(env.FLOOR.idFromName("fts")).ftsSearch(await request.text(), Math.max(1, Number(url.searchParams.get("limit")) || 10)));
      case "/total-balance":
        return new Response(String(await stub.totalBalance((await request.json()) as string[])));
      default:
        return new Response("no such route", { status: 404 });
    }
  },
} satisfies ExportedHandler<Env>;
