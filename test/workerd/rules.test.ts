/**
 * Security rules end to end inside workerd: the router with auth required,
 * rules set through AdminService, and callers of each kind (JWT users, an
 * API key, read-only and admin keys) reading, querying, listing and writing.
 */
import { Code, ConnectError, createClient, type Client, type Transport } from "@connectrpc/connect";
import { callFailure, handlerTransport, testJwt } from "./helpers.js";
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { AdminService, ApiKey_Role } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { Aggregation_Function } from "../../gen/impossibledb/v1/query_pb.js";
import { DocumentChange_Type, QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import type { Env } from "../../src/env.js";
import { createFetchHandler } from "../../src/server/fetch-handler.js";
import { createRouter } from "../../src/server/router.js";

const BOOTSTRAP = "bootstrap-key-for-rules-tests-0123456789";
const JWT_SECRET = "jwt-secret-for-rules-tests-0123456789abcdef";
const authEnv: Env = { ...env, AUTH_MODE: "required", ADMIN_BOOTSTRAP_KEY: BOOTSTRAP, JWT_ISSUER: "https://idp.test", JWT_AUDIENCE: "impossibledb", JWT_SECRET };
const handle = createFetchHandler(createRouter());

function transport(headers: Record<string, string>, workerEnv: Env): Transport {
  return handlerTransport(handle, headers, workerEnv);
}

interface Caller {
  docs: Client<typeof CollectionService>;
  query: Client<typeof QueryService>;
  admin: Client<typeof AdminService>;
  tx: Client<typeof TransactionService>;
}

function caller(token: string | null, workerEnv: Env = authEnv, database?: string): Caller {
  const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  if (database !== undefined) headers["impossibledb-database"] = database;
  const t = transport(headers, workerEnv);
  return { docs: createClient(CollectionService, t), query: createClient(QueryService, t), admin: createClient(AdminService, t), tx: createClient(TransactionService, t) };
}

function jwt(sub: string, role = "read_write", extra: Record<string, unknown> = {}): Promise<string> {
  return testJwt(JWT_SECRET, sub, { impossibledb_roles: { default: role }, ...extra });
}

const failure = callFailure;

const admin = caller(BOOTSTRAP);
let alice: Caller;
let bob: Caller;
let reader: Caller;

const NOTES_RULES = {
  collection: "notes",
  read: "resource.data.owner == request.auth.sub || resource.data.public == true",
  write: "(resource == null || resource.data.owner == request.auth.sub) && (request.resource == null || request.resource.data.owner == request.auth.sub)",
};

async function setRules(collections: Array<{ collection: string; read?: string; write?: string }>): Promise<void> {
  await admin.admin.setRules({ rules: { collections } });
}

async function ids(c: Caller, collection: string, where = ""): Promise<string[]> {
  const res = await c.query.runQuery({ query: { collection, filter: where } });
  return res.documents.map((d) => d.id);
}

beforeAll(async () => {
  alice = caller(await jwt("alice"));
  bob = caller(await jwt("bob"));
  reader = caller(await jwt("carol", "read_only"));
  await setRules([NOTES_RULES]);
  const notes: Array<{ id: string } & Record<string, string | boolean>> = [
    { id: "n1", owner: "alice", title: "Alpha" },
    { id: "n2", owner: "bob", title: "Beta" },
    { id: "n3", owner: "bob", title: "Gamma", public: true },
    { id: "n4", owner: "alice", title: "Delta" },
    { id: "n5", owner: "dave", title: "Epsilon" },
  ];
  for (const { id, ...data } of notes) await admin.docs.setDocument({ ref: { collection: "notes", id: id as string }, data });
});

describe("ListCollections", () => {
  it("is refused to a caller bound by read rules (its counts would reveal hidden documents), and answered to an admin", async () => {
    const err = await failure(alice.docs.listCollections({}));
    expect(Code[err.code]).toBe("PermissionDenied");
    expect(err.rawMessage).toMatch(/read rules that hide some from you; ask an admin/);
    const listed = await admin.docs.listCollections({});
    expect(listed.collections.find((c) => c.name === "notes")?.approximateDocumentCount).toBe(5n);
  });
});

describe("SetRules and GetRules", () => {
  it("store the rules and give them back", async () => {
    const got = await admin.admin.getRules({});
    expect(got.rules!.collections.map((c) => ({ collection: c.collection, read: c.read, write: c.write }))).toEqual([NOTES_RULES]);
    expect(got.rules!.updateTime).toBeDefined();
  });

  it("refuse a rule that does not compile with INVALID_ARGUMENT naming the line and column, and keep the old ones", async () => {
    const err = await failure(admin.admin.setRules({ rules: { collections: [{ collection: "notes", read: "resource.data.owner ==\n  request.auth.sub &&" }] } }));
    expect(Code[err.code]).toBe("InvalidArgument");
    expect(err.rawMessage).toMatch(/^rules\.collections\[0\]\.read:\d+:\d+: syntax error/);
    const typed = await failure(admin.admin.setRules({ rules: { collections: [{ collection: "notes", write: "request.resource.data.n + 1" }] } }));
    expect(typed.rawMessage).toBe("rules.collections[0].write:1:25: the condition is never a bool; a rule must be a bool (true allows)");
    const twice = await failure(admin.admin.setRules({ rules: { collections: [{ collection: "a" }, { collection: "a" }] } }));
    expect(twice.rawMessage).toMatch(/named twice/);
    expect((await admin.admin.getRules({})).rules!.collections[0]!.read).toBe(NOTES_RULES.read);
  });

  it("need admin", async () => {
    expect(Code[(await failure(alice.admin.setRules({ rules: { collections: [] } }))).code]).toBe("PermissionDenied");
    expect(Code[(await failure(alice.admin.getRules({}))).code]).toBe("PermissionDenied");
  });
});

describe("read rules", () => {
  it("answer an unreadable document exactly as a missing one", async () => {
    expect((await alice.docs.getDocument({ ref: { collection: "notes", id: "n1" } })).document!.data).toMatchObject({ owner: "alice" });
    const hidden = await failure(alice.docs.getDocument({ ref: { collection: "notes", id: "n2" } }));
    const missing = await failure(alice.docs.getDocument({ ref: { collection: "notes", id: "zz" } }));
    expect([Code[hidden.code], hidden.rawMessage.replace("n2", "ID")]).toEqual([Code[missing.code], missing.rawMessage.replace("zz", "ID")]);
    const batch = await alice.docs.batchGetDocuments({ refs: ["n1", "n2", "n3", "zz"].map((id) => ({ collection: "notes", id })) });
    expect(batch.results.map((r) => r.found)).toEqual([true, false, true, false]);
  });

  it("make queries, streams, aggregations and listings return exactly the readable documents", async () => {
    expect(await ids(alice, "notes")).toEqual(["n1", "n3", "n4"]);
    expect(await ids(bob, "notes")).toEqual(["n2", "n3"]);
    expect(await ids(reader, "notes")).toEqual(["n3"]);
    expect(await ids(alice, "notes", 'title = "Beta"')).toEqual([]);
    const streamed: string[] = [];
    for await (const m of alice.query.streamQuery({ query: { collection: "notes" } })) if (m.result.case === "document") streamed.push(m.result.value.id);
    expect(streamed).toEqual(["n1", "n3", "n4"]);
    const count = await alice.query.runAggregationQuery({ query: { collection: "notes" }, aggregations: [{ alias: "n", function: Aggregation_Function.COUNT }] });
    expect(count.groups[0]!.results.n!.kind.value).toBe(3);
    const listed: string[] = [];
    let pageToken = "";
    do {
      const page = await alice.docs.listDocuments({ collection: "notes", pageSize: 1, pageToken });
      listed.push(...page.documents.map((d) => d.id));
      expect(page.documents.length).toBeGreaterThan(0);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(listed).toEqual(["n1", "n3", "n4"]);
  });

  it("make a search return exactly the readable documents, ranked as before", async () => {
    await admin.admin.createSearchIndex({ index: { collection: "notes", textFields: [{ field: "title" }] } });
    const text = "alpha OR beta OR gamma OR delta OR epsilon";
    const searched = async (c: Caller) => (await c.query.runQuery({ query: { collection: "notes", search: { text } } })).documents.map((d) => d.id).sort();
    expect(await searched(alice)).toEqual(["n1", "n3", "n4"]);
    expect(await searched(bob)).toEqual(["n2", "n3"]);
    expect(await searched(reader)).toEqual(["n3"]);
    expect(await searched(admin)).toEqual(["n1", "n2", "n3", "n4", "n5"]);
  });

  it("score a search over the readable documents only: scores, Explain's counts and typo variants equal a database holding just those", async () => {
    // "memo" holds alice's readable documents and hidden ones full of the
    // same words (and "aplles", a typo variant of "aplle" only hidden
    // documents hold); "memo_alice" holds just alice's readable ones and
    // no rule binds it.
    const readable: Array<{ id: string } & Record<string, string | boolean>> = [
      { id: "m1", owner: "alice", title: "apple pie recipe" },
      { id: "m2", owner: "alice", title: "apple tart with apple cream" },
      { id: "m3", owner: "erin", title: "banana bread and apple", public: true },
      { id: "m4", owner: "alice", title: "banana split" },
    ];
    const hidden: Array<{ id: string } & Record<string, string | boolean>> = Array.from({ length: 12 }, (_, i) => ({ id: `h${String(i).padStart(2, "0")}`, owner: "dave", title: i % 3 === 0 ? "aplles apple apple" : "apple juice and cider" }));
    await setRules([NOTES_RULES, { ...NOTES_RULES, collection: "memo" }]);
    try {
      for (const collection of ["memo", "memo_alice"]) await admin.admin.createSearchIndex({ index: { collection, textFields: [{ field: "title" }] } });
      for (const { id, ...data } of [...readable, ...hidden]) await admin.docs.setDocument({ ref: { collection: "memo", id }, data });
      for (const { id, ...data } of readable) await admin.docs.setDocument({ ref: { collection: "memo_alice", id }, data });
      const search = async (c: Caller, collection: string, text: string) => {
        const res = await c.query.runQuery({ query: { collection, search: { text } }, explain: true });
        const plan = res.plan!.search!;
        return {
          hits: res.documents.map((d, i) => ({ id: d.id, score: res.hits[i]!.score })),
          documentsTotal: plan.documentsTotal,
          averageLength: plan.averageLength,
          terms: plan.terms.map((t) => ({ term: t.term, documents: t.documents })),
          compiled: plan.compiled,
        };
      };
      for (const text of ["apple", "aplle", "apple OR banana", "apple NOT tart"]) {
        const mine = await search(alice, "memo", text);
        expect(mine, text).toEqual(await search(admin, "memo_alice", text));
        // Without the rule's statistics these would differ: the hidden documents change N and the counts.
        const everyone = await search(admin, "memo", text);
        expect(everyone.documentsTotal).toBe(16n);
        expect(mine.documentsTotal).toBe(4n);
      }
      expect((await search(admin, "memo", "aplle")).compiled).toContain('"aplles"');
      expect((await search(alice, "memo", "aplle")).compiled).not.toContain("aplles");
    } finally {
      await setRules([NOTES_RULES]);
    }
  });

  it("bind neither admins nor collections without rules", async () => {
    expect(await ids(admin, "notes")).toEqual(["n1", "n2", "n3", "n4", "n5"]);
    const adminKey = (await admin.admin.createApiKey({ roles: { default: ApiKey_Role.ADMIN } })).secret;
    expect(await ids(caller(adminKey), "notes")).toEqual(["n1", "n2", "n3", "n4", "n5"]);
    await admin.docs.setDocument({ ref: { collection: "open", id: "o1" }, data: { owner: "nobody" } });
    expect(await ids(alice, "open")).toEqual(["o1"]);
  });

  it("see an API key's id as request.auth.sub", async () => {
    const key = await admin.admin.createApiKey({ roles: { default: ApiKey_Role.READ_ONLY } });
    await admin.docs.setDocument({ ref: { collection: "notes", id: "k1" }, data: { owner: key.key!.id } });
    expect(await ids(caller(key.secret), "notes")).toEqual(["k1", "n3"]);
  });

  it("are shown by Explain: pushed into SQL, and evaluated per document only when SQL cannot say them", async () => {
    const pushed = await alice.query.runQuery({ query: { collection: "notes" }, explain: true });
    expect(pushed.plan!.rule).toMatchObject({ condition: NOTES_RULES.read, pushed: true, evaluatedPerDocument: false });
    expect(pushed.plan!.shards.some((s) => s.sqlPlan !== "")).toBe(true);
    expect((await admin.query.runQuery({ query: { collection: "notes" }, explain: true })).plan!.rule).toBeUndefined();
    await setRules([{ ...NOTES_RULES, read: "resource.data.owner == request.auth.sub && resource.data.title.startsWith('A')" }]);
    try {
      const partial = await alice.query.runQuery({ query: { collection: "notes" }, explain: true });
      expect(partial.plan!.rule).toMatchObject({ pushed: true, evaluatedPerDocument: true });
      expect(partial.documents.map((d) => d.id)).toEqual(["n1"]);
    } finally {
      await setRules([NOTES_RULES]);
    }
  });
});

describe("rules per database", () => {
  it("bind only in the database they were set in", async () => {
    await admin.admin.createDatabase({ databaseId: "rules-two" }).catch((e: unknown) => {
      if (ConnectError.from(e).code !== Code.AlreadyExists) throw e;
    });
    const adminTwo = caller(BOOTSTRAP, authEnv, "rules-two");
    await adminTwo.admin.setRules({ rules: { collections: [{ collection: "notes", read: "false" }] } });
    await adminTwo.docs.setDocument({ ref: { collection: "notes", id: "n1" }, data: { owner: "alice" } });
    const token = await jwt("alice", "read_write", { impossibledb_roles: { default: "read_write", "rules-two": "read_write" } });
    expect(await ids(caller(token, authEnv, "rules-two"), "notes")).toEqual([]);
    expect(await ids(caller(token), "notes")).toEqual(["n1", "n3", "n4"]);
    expect((await admin.admin.getRules({})).rules!.collections.map((c) => c.read)).toEqual([NOTES_RULES.read]);
  });
});

describe("a rule that pins the document id", () => {
  it("sends a query only to the shard that can hold the caller's document", async () => {
    await setRules([NOTES_RULES, { collection: "users", read: "resource.id == request.auth.sub" }]);
    try {
      for (const id of ["alice", "bob", "carol", "dave"]) await admin.docs.setDocument({ ref: { collection: "users", id }, data: { name: id } });
      const res = await alice.query.runQuery({ query: { collection: "users" }, explain: true });
      expect(res.documents.map((d) => d.id)).toEqual(["alice"]);
      expect(res.plan!.shardsQueried).toBe(1);
      expect(res.plan!.shards.filter((s) => s.pruned).length).toBe(res.plan!.shardsTotal - 1);
      expect(res.plan!.rule).toMatchObject({ pushed: true, evaluatedPerDocument: false });
    } finally {
      await setRules([NOTES_RULES]);
    }
  });
});

describe("write rules", () => {
  async function snapshot(): Promise<string> {
    const res = await admin.query.runQuery({ query: { collection: "notes" } });
    return JSON.stringify(res.documents.map((d) => [d.id, d.version.toString(), d.data]));
  }

  it("refuse a write with PERMISSION_DENIED and change nothing", async () => {
    const before = await snapshot();
    const attempts: Array<() => Promise<unknown>> = [
      () => alice.docs.createDocument({ ref: { collection: "notes", id: "x1" }, data: { owner: "bob" } }),
      () => alice.docs.setDocument({ ref: { collection: "notes", id: "n2" }, data: { owner: "alice" } }),
      () => alice.docs.updateDocument({ ref: { collection: "notes", id: "n2" }, patch: { data: { title: "mine" }, updateMask: { fieldPaths: ["title"] } } }),
      () => alice.docs.updateDocument({ ref: { collection: "notes", id: "n1" }, patch: { data: { owner: "bob" }, updateMask: { fieldPaths: ["owner"] } } }),
      () => alice.docs.deleteDocument({ ref: { collection: "notes", id: "n2" } }),
      () => alice.docs.addDocument({ collection: "notes", data: { owner: "bob" } }),
      // An existing document the caller may not touch: refused by the rule, not "already exists".
      () => alice.docs.createDocument({ ref: { collection: "notes", id: "n2" }, data: { owner: "alice" } }),
      () => alice.docs.deleteCollection({ collection: "notes" }),
      () => reader.docs.createDocument({ ref: { collection: "notes", id: "x3" }, data: { owner: "carol" } }),
    ];
    for (const attempt of attempts) {
      const err = await failure(attempt());
      expect(Code[err.code], err.rawMessage).toBe("PermissionDenied");
    }
    const batch = await alice.docs.batchWriteDocuments({
      writes: [
        { ref: { collection: "notes", id: "n2" }, operation: { case: "set", value: { owner: "alice" } } },
        { ref: { collection: "notes", id: "n5" }, operation: { case: "delete", value: {} } },
      ],
    });
    // Writes that share a shard with a refused one are ABORTED, not applied.
    const codes = batch.statuses.map((s) => Code[s.code]);
    expect(codes[0]).toMatch(/PermissionDenied|Aborted/);
    expect(codes.every((c) => c === "PermissionDenied" || c === "Aborted") && codes.includes("PermissionDenied")).toBe(true);
    expect(await snapshot()).toBe(before);
  });

  it("let a caller write what the rule allows", async () => {
    await alice.docs.createDocument({ ref: { collection: "notes", id: "a1" }, data: { owner: "alice", title: "mine" } });
    await alice.docs.updateDocument({ ref: { collection: "notes", id: "a1" }, patch: { data: { title: "still mine" }, updateMask: { fieldPaths: ["title"] } } });
    expect((await alice.docs.getDocument({ ref: { collection: "notes", id: "a1" } })).document!.data).toEqual({ owner: "alice", title: "still mine" });
    expect((await alice.docs.deleteDocument({ ref: { collection: "notes", id: "a1" } })).deleted).toBe(true);
  });
});

describe("write rules and field transforms", () => {
  // The rule caps a counter: it must judge the document after the increment.
  const COUNTERS = { collection: "counters", write: "request.resource == null || request.resource.data.n <= 3" };
  const inc = (by: number) => [{ fieldPath: "n", transformType: { case: "increment" as const, value: { kind: { case: "numberValue" as const, value: by } } } }];
  const c = (id: string) => ({ collection: "counters", id });

  it("see the document after the transforms, on every write path", async () => {
    await setRules([NOTES_RULES, COUNTERS]);
    try {
      await admin.docs.setDocument({ ref: c("k"), data: { n: 2 } });
      await admin.docs.setDocument({ ref: c("k2"), data: { n: 3 } });
      expect((await alice.docs.updateDocument({ ref: c("k"), patch: { data: {} }, transforms: inc(1) })).document!.data).toEqual({ n: 3 });
      const single = await failure(alice.docs.updateDocument({ ref: c("k"), patch: { data: {} }, transforms: inc(1) }));
      expect([Code[single.code], single.rawMessage]).toEqual(["PermissionDenied", "the write rule of collection counters refuses this update"]);
      const batch = await alice.docs.batchWriteDocuments({ writes: [{ ref: c("k"), operation: { case: "update", value: { data: {} } }, transforms: inc(1) }] });
      expect(Code[batch.statuses[0]!.code]).toBe("PermissionDenied");
      expect(Code[(await failure(alice.tx.commitBatch({ writes: [{ ref: c("k2"), operation: { case: "update", value: { data: {} } }, transforms: inc(1) }] }))).code]).toBe("PermissionDenied");
      const { transaction } = await alice.tx.beginTransaction({});
      const twoShards = await failure(
        alice.tx.commit({
          transaction,
          writes: [
            { ref: c("k"), operation: { case: "update", value: { data: {} } }, transforms: inc(-1) },
            { ref: c("k2"), operation: { case: "update", value: { data: {} } }, transforms: inc(1) },
          ],
        }),
      );
      expect(Code[twoShards.code]).toBe("PermissionDenied");
      // A decrement stays under the cap and is allowed.
      expect((await alice.docs.updateDocument({ ref: c("k2"), patch: { data: {} }, transforms: inc(-1) })).document!.data).toEqual({ n: 2 });
      const docs = await admin.docs.batchGetDocuments({ refs: [c("k"), c("k2")] });
      expect(docs.results.map((r) => r.document!.data)).toEqual([{ n: 3 }, { n: 2 }]);
    } finally {
      await setRules([NOTES_RULES]);
    }
  });
});

describe("transactions", () => {
  async function snapshot(): Promise<string> {
    const res = await admin.query.runQuery({ query: { collection: "notes" } });
    return JSON.stringify(res.documents.map((d) => [d.id, d.version.toString(), d.data]));
  }
  const ref = (id: string) => ({ collection: "notes", id });

  it("refuse an unreadable read with PERMISSION_DENIED whether or not the document exists", async () => {
    const { transaction } = await alice.tx.beginTransaction({});
    const read = await alice.tx.getDocuments({ transaction, refs: [ref("n1"), ref("n3")] });
    expect(read.reads.map((r) => r.document?.id)).toEqual(["n1", "n3"]);
    const hidden = await failure(alice.tx.getDocuments({ transaction, refs: [ref("n2")] }));
    const missing = await failure(alice.tx.getDocuments({ transaction, refs: [ref("zz")] }));
    expect([Code[hidden.code], hidden.rawMessage]).toEqual(["PermissionDenied", missing.rawMessage]);
    expect(Code[missing.code]).toBe("PermissionDenied");
  });

  it("refuse a commit whose reads or writes a rule refuses, before versions are compared, and change nothing", async () => {
    const before = await snapshot();
    const probe = await alice.tx.beginTransaction({});
    // Version 0 says "missing": without the rule check this would answer ABORTED and reveal that n2 exists.
    const probed = await failure(alice.tx.commit({ transaction: probe.transaction, reads: [{ ref: ref("n2"), version: 0n }] }));
    expect(Code[probed.code]).toBe("PermissionDenied");
    const { transaction } = await alice.tx.beginTransaction({});
    const err = await failure(
      alice.tx.commit({
        transaction,
        writes: [
          { ref: ref("t1"), operation: { case: "set", value: { owner: "alice" } } },
          { ref: ref("n2"), operation: { case: "set", value: { owner: "alice" } } },
        ],
      }),
    );
    expect(Code[err.code]).toBe("PermissionDenied");
    const batch = await failure(alice.tx.commitBatch({ writes: [{ ref: ref("n5"), operation: { case: "delete", value: {} } }] }));
    expect(Code[batch.code]).toBe("PermissionDenied");
    expect(await snapshot()).toBe(before);
  });

  it("commit what the rules allow", async () => {
    const { transaction } = await alice.tx.beginTransaction({});
    const [read] = (await alice.tx.getDocuments({ transaction, refs: [ref("n1")] })).reads;
    await alice.tx.commit({
      transaction,
      reads: [{ ref: ref("n1"), version: read!.version }],
      writes: [{ ref: ref("t2"), operation: { case: "set", value: { owner: "alice", from: "tx" } } }],
    });
    expect((await alice.docs.getDocument({ ref: ref("t2") })).document!.data).toEqual({ owner: "alice", from: "tx" });
    await alice.docs.deleteDocument({ ref: ref("t2") });
  });
});

describe("listeners", () => {
  it("hear only readable documents: a document leaving the rule is REMOVED, one entering it ADDED", async () => {
    const controller = new AbortController();
    const events: string[] = [];
    let current = false;
    const done = (async () => {
      try {
        for await (const m of alice.query.listen({ target: { case: "query", value: { collection: "notes" } } }, { signal: controller.signal })) {
          for (const c of m.changes) events.push(`${DocumentChange_Type[c.type]} ${c.document!.id}`);
          if (m.current) current = true;
        }
      } catch (err) {
        if (!controller.signal.aborted) throw err;
      }
    })();
    const until = async (predicate: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`listener timed out: ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await until(() => current);
      expect(events.sort()).toEqual(["ADDED n1", "ADDED n3", "ADDED n4"]);
      events.length = 0;
      await admin.docs.setDocument({ ref: { collection: "notes", id: "l1" }, data: { owner: "bob" } });
      await admin.docs.setDocument({ ref: { collection: "notes", id: "l2" }, data: { owner: "alice" } });
      await until(() => events.length >= 1);
      await admin.docs.setDocument({ ref: { collection: "notes", id: "l2" }, data: { owner: "bob" } });
      await admin.docs.setDocument({ ref: { collection: "notes", id: "l1" }, data: { owner: "alice" } });
      await until(() => events.length >= 3);
      expect(events).toEqual(["ADDED l2", "REMOVED l2", "ADDED l1"]);
    } finally {
      controller.abort();
      await done;
      for (const id of ["l1", "l2"]) await admin.docs.deleteDocument({ ref: { collection: "notes", id } });
    }
  });
});

describe("with AUTH_MODE off", () => {
  it("rules bind no one: every call runs as the anonymous admin", async () => {
    const local = caller(null, { ...env, AUTH_MODE: "off" });
    expect(await ids(local, "notes")).toContain("n2");
  });
});
