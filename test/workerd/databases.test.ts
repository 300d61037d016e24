/**
 * Databases: isolation, the database RPCs and their errors, deletion, and
 * tokens bound to their database, through the whole stack (the
 * `impossibledb-database` header over Connect, Connect GET and gRPC-Web).
 */
import { describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:test";
import { Code } from "@connectrpc/connect";
import { AdminService, Database_State } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { databaseEnv } from "../../src/databases/database-env.js";
import { DEFAULT_SCOPE } from "../../src/databases/names.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { shardStub } from "../../src/shards/shard-client.js";
import { connectClient, expectCode, grpcWebClient, rawFetch } from "./helpers.js";

const admin = connectClient(AdminService);
const docsIn = (database?: string) => connectClient(CollectionService, database === undefined ? {} : { database });
const txIn = (database: string) => connectClient(TransactionService, { database });
const ref = (collection: string, id: string) => ({ collection, id });

async function createDatabase(id: string, placement: { locationHint?: string; jurisdiction?: string } = {}) {
  return (await admin.createDatabase({ databaseId: id, database: { placement } })).database!;
}

describe("databases", { timeout: 30_000 }, () => {
  it("two databases with the same collection names never see each other's documents", async () => {
    await createDatabase("alpha");
    await createDatabase("beta");
    const [dflt, alpha, beta] = [docsIn(), docsIn("alpha"), docsIn("beta")];
    for (let i = 0; i < 12; i++) {
      await dflt.setDocument({ ref: ref("users", `u${i}`), data: { db: "default", i } });
      await alpha.setDocument({ ref: ref("users", `u${i}`), data: { db: "alpha", i } });
    }
    await beta.setDocument({ ref: ref("orders", "o1"), data: { db: "beta" } });

    expect((await alpha.getDocument({ ref: ref("users", "u3") })).document!.data).toEqual({ db: "alpha", i: 3 });
    expect((await dflt.getDocument({ ref: ref("users", "u3") })).document!.data).toEqual({ db: "default", i: 3 });
    await expectCode(beta.getDocument({ ref: ref("users", "u3") }), Code.NotFound, /users\/u3 does not exist/);
    await expectCode(dflt.getDocument({ ref: ref("orders", "o1") }), Code.NotFound);

    const listed = await alpha.listDocuments({ collection: "users", pageSize: 100 });
    expect(listed.documents.map((d) => d.data?.db)).toEqual(new Array(12).fill("alpha"));
    expect((await beta.listCollections({})).collections.map((c) => c.name)).toEqual(["orders"]);
    const query = connectClient(QueryService, { database: "alpha" });
    const page = await query.runQuery({ query: { collection: "users", filter: "i >= 10" } });
    expect(page.documents.map((d) => d.data)).toEqual([
      { db: "alpha", i: 10 },
      { db: "alpha", i: 11 },
    ]);
    // The same header over gRPC-Web and Connect GET.
    expect((await grpcWebClient(CollectionService, { database: "beta" }).getDocument({ ref: ref("orders", "o1") })).document!.data).toEqual({ db: "beta" });
    const viaGet = connectClient(CollectionService, { database: "alpha", get: true });
    expect((await viaGet.getDocument({ ref: ref("users", "u0") })).document!.data).toEqual({ db: "alpha", i: 0 });
  });

  it("answers NOT_FOUND for a database that does not exist and INVALID_ARGUMENT for a malformed header", async () => {
    await expectCode(docsIn("nosuch").getDocument({ ref: ref("users", "u1") }), Code.NotFound, /database nosuch does not exist/);
    await expectCode(grpcWebClient(CollectionService, { database: "nosuch" }).getDocument({ ref: ref("users", "u1") }), Code.NotFound);
    await expectCode(docsIn("Bad_Name").getDocument({ ref: ref("users", "u1") }), Code.InvalidArgument, /impossibledb-database .* is not a database id/);
    await expectCode(docsIn("x".repeat(64)).getDocument({ ref: ref("users", "u1") }), Code.InvalidArgument, /1 to 63 characters/);
    await expectCode(connectClient(CollectionService, { database: "Bad", get: true }).getDocument({ ref: ref("users", "u1") }), Code.InvalidArgument);
    // Naming a database never creates it.
    await expectCode(admin.getDatabase({ name: "databases/nosuch" }), Code.NotFound, /database nosuch does not exist/);
    // `default` may be named explicitly.
    await docsIn("default").setDocument({ ref: ref("users", "explicit"), data: { ok: true } });
    expect((await docsIn().getDocument({ ref: ref("users", "explicit") })).document!.data).toEqual({ ok: true });
  });

  it("creates, gets and lists databases, AIP-style, and refuses bad ids, placements and duplicates", async () => {
    // Local workerd does not implement jurisdictions: refused at creation,
    // not on every later request (the namespace calls are unit-tested).
    await expectCode(createDatabase("placed-eu", { jurisdiction: "eu" }), Code.FailedPrecondition, /jurisdiction eu is not available on this server/);
    const created = await createDatabase("placed-wnam", { locationHint: "wnam" });
    expect(created.name).toBe("databases/placed-wnam");
    expect(created.state).toBe(Database_State.ACTIVE);
    expect(created.placement).toMatchObject({ jurisdiction: "", locationHint: "wnam" });
    expect(created.createTime).toBeDefined();
    const hinted = await createDatabase("placed-weur", { locationHint: "weur" });
    expect((await admin.getDatabase({ name: "databases/placed-weur" })).database).toEqual(hinted);
    // Locally there is no request.cf: `auto` chooses no hint.
    expect((await createDatabase("placed-auto", { locationHint: "auto" })).placement?.locationHint).toBe("");

    await expectCode(admin.createDatabase({ databaseId: "placed-wnam" }), Code.AlreadyExists, /already exists/);
    await expectCode(admin.createDatabase({ databaseId: "default" }), Code.AlreadyExists);
    await expectCode(admin.createDatabase({ databaseId: "9lives" }), Code.InvalidArgument, /database_id "9lives" is not a database id/);
    await expectCode(admin.createDatabase({ databaseId: "" }), Code.InvalidArgument);
    await expectCode(createDatabase("bad-hint", { locationHint: "mars" }), Code.InvalidArgument, /location_hint "mars" is not one of/);
    await expectCode(createDatabase("bad-j", { jurisdiction: "moon" }), Code.InvalidArgument, /jurisdiction "moon"/);
    await expectCode(createDatabase("both", { locationHint: "weur", jurisdiction: "eu" }), Code.InvalidArgument, /not both/);
    // A bare id is told the form a name takes, quoting what was given (not an empty id).
    await expectCode(admin.getDatabase({ name: "placed-wnam" }), Code.InvalidArgument, /^name "placed-wnam" must be databases\/\{database_id\} \(did you mean "databases\/placed-wnam"\?\)$/);
    await expectCode(admin.deleteDatabase({ name: "sdb" }), Code.InvalidArgument, /^name "sdb" must be databases\/\{database_id\} \(did you mean "databases\/sdb"\?\)$/);
    await expectCode(admin.deleteDatabase({ name: "databases/Bad_Id" }), Code.InvalidArgument, /^name "databases\/Bad_Id" must be databases\/\{database_id\}: database id "Bad_Id" is not a database id/);

    // The placed databases serve requests (their objects are created with the hint).
    await docsIn("placed-wnam").setDocument({ ref: ref("c", "1"), data: { v: 1 } });
    expect((await docsIn("placed-wnam").getDocument({ ref: ref("c", "1") })).document!.data).toEqual({ v: 1 });

    const names: string[] = [];
    let pageToken = "";
    do {
      const page = await admin.listDatabases({ pageSize: 2, pageToken });
      expect(page.databases.length).toBeLessThanOrEqual(2);
      names.push(...page.databases.map((d) => d.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(["databases/default", "databases/placed-wnam", "databases/placed-weur", "databases/placed-auto"]));
    expect(new Set(names).size).toBe(names.length);
    await expectCode(admin.listDatabases({ pageToken: "garbage" }), Code.InvalidArgument, /page_token/);
  });

  it("deleting a database deletes its data; re-created, it starts empty; `default` cannot be deleted", async () => {
    await createDatabase("gamma");
    const gamma = docsIn("gamma");
    for (let i = 0; i < 20; i++) await gamma.setDocument({ ref: ref(i % 2 === 0 ? "even" : "odd", `d${i}`), data: { i } });
    await docsIn().setDocument({ ref: ref("even", "d0"), data: { kept: true } });
    const { transaction } = await txIn("gamma").beginTransaction({});
    const listed = await gamma.listDocuments({ collection: "even", pageSize: 2 });
    const queried = await connectClient(QueryService, { database: "gamma" }).runQuery({ query: { collection: "even" }, pageSize: 2 });

    await admin.deleteDatabase({ name: "databases/gamma" });
    await expectCode(admin.getDatabase({ name: "databases/gamma" }), Code.NotFound);
    await expectCode(gamma.getDocument({ ref: ref("even", "d0") }), Code.NotFound, /database gamma does not exist/);
    await expectCode(admin.deleteDatabase({ name: "databases/gamma" }), Code.NotFound);
    expect((await admin.listDatabases({ pageSize: 1000 })).databases.map((d) => d.name)).not.toContain("databases/gamma");

    await createDatabase("gamma");
    expect((await gamma.listCollections({})).collections).toEqual([]);
    expect((await gamma.listDocuments({ collection: "even" })).documents).toEqual([]);
    await expectCode(gamma.getDocument({ ref: ref("even", "d0") }), Code.NotFound, /even\/d0 does not exist/);
    // A transaction of the old incarnation is refused in the new one, by every call, saying so
    // (it said "belongs to another database than gamma", the very database named).
    const earlier = /^transaction belongs to an earlier database named gamma, deleted since \(this gamma was created again\): nothing of it can commit here; begin a new transaction$/;
    await expectCode(txIn("gamma").commit({ transaction, writes: [] }), Code.FailedPrecondition, earlier);
    await expectCode(txIn("gamma").getDocuments({ transaction, refs: [ref("even", "d0")] }), Code.FailedPrecondition, earlier);
    await expectCode(txIn("gamma").rollback({ transaction }), Code.FailedPrecondition, earlier);
    await expectCode(
      txIn("gamma").beginTransaction({ options: { retryOf: transaction } }),
      Code.FailedPrecondition,
      /^options\.retry_of: belongs to an earlier database named gamma, deleted since \(this gamma was created again\): nothing of it can commit here; begin without retry_of$/,
    );
    // So are its page tokens (they were "invalid: pass back a next_page_token unchanged", as they were).
    const earlierToken = /^page_token belongs to an earlier database named gamma, deleted since \(this gamma was created again\): nothing of it continues here; run the request again without a page_token$/;
    await expectCode(gamma.listDocuments({ collection: "even", pageSize: 2, pageToken: listed.nextPageToken }), Code.FailedPrecondition, earlierToken);
    await expectCode(connectClient(QueryService, { database: "gamma" }).runQuery({ query: { collection: "even" }, pageSize: 2, pageToken: queried.nextPageToken }), Code.FailedPrecondition, earlierToken);
    // Other databases keep their data.
    expect((await docsIn().getDocument({ ref: ref("even", "d0") })).document!.data).toEqual({ kept: true });

    await expectCode(admin.deleteDatabase({ name: "databases/default" }), Code.FailedPrecondition, /default database cannot be deleted/);
    await expectCode(admin.deleteDatabase({ name: "databases/" }), Code.InvalidArgument);
  });

  it("an object of a deleted database refuses calls, so a stale Worker never reads half-deleted data", async () => {
    const db = await createDatabase("stale");
    const record = (await admin.getDatabase({ name: db.name })).database!;
    expect(record.state).toBe(Database_State.ACTIVE);
    await docsIn("stale").setDocument({ ref: ref("c", "1"), data: { v: 1 } });
    // The scope a stale Worker would still hold, read from the catalog before the delete.
    const scopeBefore = await env.SHARD_MANAGER.get(env.SHARD_MANAGER.idFromName("shard-manager")).getDatabase("stale");
    await admin.deleteDatabase({ name: db.name });
    const staleEnv = databaseEnv(env, { id: "stale", uid: scopeBefore!.uid, placement: {} });
    const table = createShardRouter(createInitialRoutingTable(Number(env.SHARD_COUNT), Number(env.VIRTUAL_NODES_PER_SHARD)));
    const shard = table.shardFor("c", "1");
    const refusal = async (call: () => Promise<unknown>) => {
      try {
        await call();
        return "answered";
      } catch (err) {
        return String(err);
      }
    };
    expect(await refusal(() => shardStub(staleEnv, shard).get([{ collection: "c", id: "1" }]))).toMatch(/database deleted/);
    expect(await refusal(() => shardStub(staleEnv, shard).write([{ op: "set", collection: "c", id: "2", data: { v: 2 } }]))).toMatch(/database deleted/);
    // `default`'s shard of the same name is untouched.
    expect((await shardStub(databaseEnv(env, DEFAULT_SCOPE), shard).stats()).schemaVersion).toBeGreaterThan(0);
  });

  it("a transaction id or page token from one database is refused in another", async () => {
    await createDatabase("tok-a");
    await createDatabase("tok-b");
    for (let i = 0; i < 5; i++) await docsIn("tok-a").setDocument({ ref: ref("t", `d${i}`), data: { i } });
    const { transaction } = await txIn("tok-a").beginTransaction({});
    await expectCode(txIn("tok-b").getDocuments({ transaction, refs: [ref("t", "d0")] }), Code.InvalidArgument, /another database than tok-b/);
    await expectCode(connectClient(TransactionService).commit({ transaction, writes: [] }), Code.InvalidArgument, /another database than default/);
    await expectCode(txIn("tok-b").beginTransaction({ options: { retryOf: transaction } }), Code.InvalidArgument);
    // A default id is refused in tok-a too.
    const fromDefault = (await connectClient(TransactionService).beginTransaction({})).transaction;
    await expectCode(txIn("tok-a").rollback({ transaction: fromDefault }), Code.InvalidArgument, /another database/);
    // And the id still works where it was begun.
    const { reads } = await txIn("tok-a").getDocuments({ transaction, refs: [ref("t", "d0")] });
    expect(reads[0]!.document!.data).toEqual({ i: 0 });

    const page = await docsIn("tok-a").listDocuments({ collection: "t", pageSize: 2 });
    expect(page.nextPageToken).not.toBe("");
    await expectCode(
      docsIn("tok-b").listDocuments({ collection: "t", pageSize: 2, pageToken: page.nextPageToken }),
      Code.InvalidArgument,
      /^page_token was made in database tok-a, not tok-b: send it with the impossibledb-database header it was made with, or run the request again without a page_token$/,
    );
    await expectCode(docsIn().listDocuments({ collection: "t", pageSize: 2, pageToken: page.nextPageToken }), Code.InvalidArgument, /^page_token was made in database tok-a, not default/);
    for (const id of ["x1", "x2"]) await docsIn().setDocument({ ref: ref("tokdef", id), data: {} });
    const fromDefaultPage = await docsIn().listDocuments({ collection: "tokdef", pageSize: 1 });
    expect(fromDefaultPage.nextPageToken).not.toBe("");
    await expectCode(docsIn("tok-a").listDocuments({ collection: "tokdef", pageSize: 1, pageToken: fromDefaultPage.nextPageToken }), Code.InvalidArgument, /^page_token was made in database default, not tok-a/);
    expect((await docsIn("tok-a").listDocuments({ collection: "t", pageSize: 2, pageToken: page.nextPageToken })).documents).toHaveLength(2);
    const qa = connectClient(QueryService, { database: "tok-a" });
    const qPage = await qa.runQuery({ query: { collection: "t" }, pageSize: 2 });
    await expectCode(connectClient(QueryService, { database: "tok-b" }).runQuery({ query: { collection: "t" }, pageSize: 2, pageToken: qPage.nextPageToken }), Code.InvalidArgument);
  });

  it("a resume token from one database is refused in another, saying which, and in a database made again under its name as from an earlier one", async () => {
    const listenIn = (database: string | undefined) => connectClient(QueryService, database === undefined ? {} : { database });
    const target = { case: "query" as const, value: { collection: "feed" } };
    /** The first resume token of a listener of `feed`, or the error its first message fails with. */
    async function firstToken(database: string | undefined, resumeToken = ""): Promise<string> {
      const controller = new AbortController();
      try {
        for await (const m of listenIn(database).listen({ target, resumeToken }, { signal: controller.signal })) if (m.resumeToken !== "") return m.resumeToken;
      } finally {
        controller.abort();
      }
      throw new Error("the listener ended without a resume token");
    }
    await createDatabase("rt-a");
    await createDatabase("rt-b");
    await docsIn("rt-a").setDocument({ ref: ref("feed", "f1"), data: { n: 1 } });
    const token = await firstToken("rt-a");
    // It said only "resume_token is invalid", as if the token were damaged.
    await expectCode(
      firstToken("rt-b", token),
      Code.InvalidArgument,
      /^resume_token was made in database rt-a, not rt-b: send it with the impossibledb-database header it was made with, or listen again without a resume_token$/,
    );
    await expectCode(firstToken(undefined, token), Code.InvalidArgument, /^resume_token was made in database rt-a, not default/);
    const fromDefault = await firstToken(undefined);
    await expectCode(firstToken("rt-b", fromDefault), Code.InvalidArgument, /^resume_token was made in database default, not rt-b/);
    // It still resumes where it was made.
    expect(await firstToken("rt-a", token)).not.toBe("");
    // An altered token is invalid, as before.
    await expectCode(firstToken("rt-a", `${token.slice(0, -2)}xx`), Code.InvalidArgument, /^resume_token is invalid: pass back a resume_token of a Listen with the same document or query, unchanged$/);

    await admin.deleteDatabase({ name: "databases/rt-a" });
    await createDatabase("rt-a");
    await expectCode(
      firstToken("rt-a", token),
      Code.FailedPrecondition,
      /^resume_token belongs to an earlier database named rt-a, deleted since \(this rt-a was created again\): nothing of it continues here; listen again without a resume_token$/,
    );
  });

  it("commits transactions across shards inside a non-default database", async () => {
    await createDatabase("bank");
    const bank = docsIn("bank");
    const tx = txIn("bank");
    const accounts = Array.from({ length: 16 }, (_, i) => `acct${i}`);
    await tx.commitBatch({ writes: accounts.map((id) => ({ ref: ref("accounts", id), operation: { case: "set" as const, value: { balance: 100 } } })) });
    const table = createShardRouter(createInitialRoutingTable(Number(env.SHARD_COUNT), Number(env.VIRTUAL_NODES_PER_SHARD)));
    expect(new Set(accounts.map((id) => table.shardFor("accounts", id))).size).toBeGreaterThan(1);

    for (let round = 0; round < 3; round++) {
      const { transaction } = await tx.beginTransaction({});
      const { reads } = await tx.getDocuments({ transaction, refs: accounts.map((id) => ref("accounts", id)) });
      await tx.commit({
        transaction,
        reads: reads.map((r) => ({ ref: r.ref, version: r.version })),
        writes: reads.map((r, i) => ({ ref: r.ref, operation: { case: "set" as const, value: { balance: (r.document!.data!.balance as number) + (i % 2 === 0 ? -5 : 5) } } })),
      });
    }
    const all = await bank.listDocuments({ collection: "accounts", pageSize: 100 });
    expect(all.documents.reduce((sum, d) => sum + (d.data!.balance as number), 0)).toBe(1600);
    expect(all.documents.find((d) => d.id === "acct0")!.data!.balance).toBe(85);
    // None of it reached `default`.
    expect((await docsIn().listDocuments({ collection: "accounts" })).documents).toEqual([]);
  });

  it("a listener hears only its own database, and resume tokens stay in theirs", { timeout: 30_000 }, async () => {
    await createDatabase("listen-a");
    await createDatabase("listen-b");
    const controller = new AbortController();
    const heard: string[] = [];
    let current = false;
    let tokenA = "";
    const listening = (async () => {
      try {
        for await (const m of connectClient(QueryService, { database: "listen-a" }).listen({ target: { case: "query", value: { collection: "feed" } } }, { signal: controller.signal })) {
          if (m.current) current = true;
          if (m.resumeToken !== "") tokenA = m.resumeToken;
          heard.push(...m.changes.map((c) => `${c.document?.id}:${JSON.stringify(c.document?.data)}`));
        }
      } catch (err) {
        if (!controller.signal.aborted) throw err;
      }
    })();
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(done()).toBe(true);
    };
    try {
      await until(() => current);
      await docsIn("listen-b").setDocument({ ref: ref("feed", "from-b"), data: { db: "b" } });
      await docsIn().setDocument({ ref: ref("feed", "from-default"), data: { db: "default" } });
      await docsIn("listen-a").setDocument({ ref: ref("feed", "from-a"), data: { db: "a" } });
      await until(() => heard.length > 0);
      expect(heard).toEqual(['from-a:{"db":"a"}']);
    } finally {
      controller.abort();
      await listening;
    }
    // A's resume token is refused in B, and B's tokens (the same target at
    // the same positions) are B's own: each resumes in its own database.
    expect(tokenA).not.toBe("");
    const listenOnce = async (database: string, resumeToken = "") => {
      const stop = new AbortController();
      try {
        for await (const m of connectClient(QueryService, { database }).listen({ target: { case: "query", value: { collection: "quiet" } }, resumeToken }, { signal: stop.signal })) {
          if (m.current) return m.resumeToken;
        }
        return "";
      } finally {
        stop.abort();
      }
    };
    await expectCode(listenOnce("listen-b", tokenA), Code.InvalidArgument, /^resume_token was made in database listen-a, not listen-b/);
    // Two fresh databases: the same target at the same positions (nothing
    // written yet), yet each token is signed for its own database.
    await createDatabase("quiet-a");
    await createDatabase("quiet-b");
    const quietA = await listenOnce("quiet-a");
    const quietB = await listenOnce("quiet-b");
    expect(await listenOnce("quiet-b", quietB)).not.toBe("");
    expect(await listenOnce("quiet-a", quietA)).not.toBe("");
    await expectCode(listenOnce("quiet-b", quietA), Code.InvalidArgument, /^resume_token was made in database quiet-a, not quiet-b/);
  });

  it("a listener open when its database is deleted ends with NOT_FOUND, never INTERNAL", { timeout: 30_000 }, async () => {
    await createDatabase("listen-gone");
    await docsIn("listen-gone").setDocument({ ref: ref("users", "u1"), data: { n: 1 } });
    let current = false;
    const stream = (async () => {
      for await (const m of connectClient(QueryService, { database: "listen-gone" }).listen({ target: { case: "query", value: { collection: "users" } } })) {
        if (m.current) current = true;
      }
    })();
    // Handled from the start: the stream may end while the delete is still answering.
    const ended = stream.then(
      () => Promise.reject(new Error("the listener ended without an error")),
      (err: unknown) => Promise.reject(err),
    );
    ended.catch(() => {});
    for (let i = 0; i < 200 && !current; i++) await new Promise((r) => setTimeout(r, 25));
    expect(current).toBe(true);
    await admin.deleteDatabase({ name: "databases/listen-gone" });
    await expectCode(ended, Code.NotFound, /database/);
  });

  it("logs and counts each call under its database", async () => {
    await createDatabase("logged");
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      await docsIn("logged").setDocument({ ref: ref("c", "1"), data: {} });
      await expectCode(docsIn("Bad!").getDocument({ ref: ref("c", "1") }), Code.InvalidArgument);
    } finally {
      spy.mockRestore();
    }
    const parsed = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { method: string; database: string; code: string });
    expect(parsed).toContainEqual(expect.objectContaining({ method: "impossibledb.v1.CollectionService/SetDocument", database: "logged", code: "ok" }));
    expect(parsed).toContainEqual(expect.objectContaining({ method: "impossibledb.v1.CollectionService/GetDocument", database: "(invalid)", code: "invalid_argument" }));
    const metrics = await admin.getMetrics({});
    expect(metrics.methods).toContainEqual(expect.objectContaining({ method: "impossibledb.v1.CollectionService/SetDocument", database: "logged", count: 1n }));
  });

  it("answers a CORS preflight that asks to send the database header", async () => {
    const res = await rawFetch("/impossibledb.v1.CollectionService/GetDocument", {
      method: "OPTIONS",
      headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "impossibledb-database" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Headers")).toMatch(/impossibledb-database/);
  });
});
