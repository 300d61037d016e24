/**
 * What a caller bound by security rules may learn about documents it cannot
 * read, over the RPCs with auth required: nothing. Each test compares a
 * hidden document with a missing one (or a matching guess with a wrong
 * one) and expects the same answer, where the old code answered
 * differently:
 * - Explain of a query, stream or aggregation counted the rows SQLite read,
 *   hidden rows included (`filter body = "hunter2"` read 2 rows, a wrong
 *   guess 0): now the rows read are withheld (`rule.rowsReadWithheld`);
 * - a write rule's refusal said "update" for a stored document and "create"
 *   for a missing one: now it names the operation the caller sent;
 * - DeleteCollection deleted, and counted, documents the read rule hides:
 *   now it is refused to any caller a rule of the collection binds.
 */
import { Code, createClient, type Client, type Transport } from "@connectrpc/connect";
import { callFailure, handlerTransport, testJwt } from "./helpers.js";
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { Aggregation_Function, type QueryPlan } from "../../gen/impossibledb/v1/query_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import type { Env } from "../../src/env.js";
import { createFetchHandler } from "../../src/server/fetch-handler.js";
import { createRouter } from "../../src/server/router.js";

const BOOTSTRAP = "bootstrap-key-for-rule-leak-tests-0123456789";
const JWT_SECRET = "jwt-secret-for-rule-leak-tests-0123456789abcdef";
const authEnv: Env = { ...env, AUTH_MODE: "required", ADMIN_BOOTSTRAP_KEY: BOOTSTRAP, JWT_ISSUER: "https://idp.test", JWT_AUDIENCE: "impossibledb", JWT_SECRET };
const handle = createFetchHandler(createRouter());

interface Caller {
  docs: Client<typeof CollectionService>;
  query: Client<typeof QueryService>;
  admin: Client<typeof AdminService>;
  tx: Client<typeof TransactionService>;
}

function caller(token: string): Caller {
  const t: Transport = handlerTransport(handle, { authorization: `Bearer ${token}` }, authEnv);
  return { docs: createClient(CollectionService, t), query: createClient(QueryService, t), admin: createClient(AdminService, t), tx: createClient(TransactionService, t) };
}

const failure = callFailure;
const admin = caller(BOOTSTRAP);
let alice: Caller;

/** The new user's setup: alice reads only notes whose title starts with her name, and may write none. */
const NOTES = { collection: "notes", read: "resource.data.title.startsWith(request.auth.sub)", write: "false" };
/** The same documents behind a rule SQL says whole (pushed, not evaluated per document). */
const OWNED = { collection: "owned", read: "resource.data.owner == request.auth.sub" };
/** A collection with only a read rule. */
const DIARY = { collection: "diary", read: "resource.data.owner == request.auth.sub" };

beforeAll(async () => {
  alice = caller(await testJwt(JWT_SECRET, "alice", { impossibledb_roles: { default: "read_write" } }));
  await admin.admin.setRules({ rules: { collections: [NOTES, OWNED, DIARY] } });
  for (const collection of ["notes", "owned"]) await admin.admin.createIndex({ index: { collection, fields: [{ field: "body" }] } });
  const docs = [
    { id: "n1", title: "alice note", owner: "alice", body: "hidden?" },
    { id: "pw", title: "bob password", owner: "bob", body: "hunter2" },
  ];
  for (const collection of ["notes", "owned"]) for (const { id, ...data } of docs) await admin.docs.setDocument({ ref: { collection, id }, data });
  for (const [id, owner] of [["d1", "alice"], ["d2", "bob"], ["d3", "bob"]] as const) await admin.docs.setDocument({ ref: { collection: "diary", id }, data: { owner } });
});

describe("Explain for a rule-bound caller", () => {
  const filters = (guess: string) => [`body = "${guess}"`, `body >= "${guess.slice(0, 2)}" AND body < "${guess.slice(0, 2)}~"`];

  it("is the same whether or not hidden documents match the filter: rows read are withheld, in RunQuery, StreamQuery and RunAggregationQuery", async () => {
    for (const collection of ["notes", "owned"]) {
      const plans = async (guess: string): Promise<QueryPlan[]> => {
        const out: QueryPlan[] = [];
        for (const filter of filters(guess)) {
          const query = { collection, filter };
          const page = await alice.query.runQuery({ query, explain: true });
          expect(page.documents).toEqual([]);
          out.push(page.plan!);
          for await (const m of alice.query.streamQuery({ query, explain: true })) if (m.result.case === "plan") out.push(m.result.value);
          const agg = await alice.query.runAggregationQuery({ query, aggregations: [{ alias: "n", function: Aggregation_Function.COUNT }], explain: true });
          expect(agg.groups[0]!.results.n!.kind.value).toBe(0);
          out.push(agg.plan!);
        }
        return out;
      };
      const right = await plans("hunter2");
      expect(right, collection).toEqual(await plans("wrong"));
      expect(right).toHaveLength(6);
      for (const plan of right) {
        expect(plan.rule, collection).toMatchObject({ rowsReadWithheld: true });
        expect(plan.shards.every((s) => s.rowsRead === 0n)).toBe(true);
      }
    }
  });

  it("still shows the rows read to an admin, and to a rule-bound search (which counts only readable documents)", async () => {
    const plan = (await admin.query.runQuery({ query: { collection: "notes", filter: 'body = "hunter2"' }, explain: true })).plan!;
    expect(plan.rule).toBeUndefined();
    expect(plan.shards.reduce((n, s) => n + s.rowsRead, 0n)).toBeGreaterThan(0n);
    await admin.admin.createSearchIndex({ index: { collection: "owned", textFields: [{ field: "title" }] } });
    const searched = (await alice.query.runQuery({ query: { collection: "owned", search: { text: "note" } }, explain: true })).plan!;
    expect(searched.rule).toMatchObject({ rowsReadWithheld: false });
  });
});

describe("a write rule's refusal to a caller the read rule hides documents from", () => {
  const ref = (id: string) => ({ collection: "notes", id });
  const said = (err: { code: Code; rawMessage: string }, id: string) => [Code[err.code], err.rawMessage.replaceAll(id, "ID")];

  it("has the same code and words for a stored hidden document and a missing one, on every write path", async () => {
    const hidden = await failure(alice.docs.getDocument({ ref: ref("pw") }));
    expect(said(hidden, "pw")).toEqual(said(await failure(alice.docs.getDocument({ ref: ref("nosuch") })), "nosuch"));
    const attempts: Array<(id: string) => Promise<{ code: Code; rawMessage: string }>> = [
      (id) => failure(alice.docs.setDocument({ ref: ref(id), data: { title: "x" } })),
      (id) => failure(alice.docs.updateDocument({ ref: ref(id), patch: { data: { title: "x" } } })),
      (id) => failure(alice.docs.createDocument({ ref: ref(id), data: { title: "x" } })),
      (id) => failure(alice.docs.deleteDocument({ ref: ref(id) })),
      async (id) => {
        const status = (await alice.docs.batchWriteDocuments({ writes: [{ ref: ref(id), operation: { case: "set", value: { title: "x" } } }] })).statuses[0]!;
        return { code: status.code, rawMessage: status.message };
      },
      (id) => failure(alice.tx.commitBatch({ writes: [{ ref: ref(id), operation: { case: "set", value: { title: "x" } } }] })),
      (id) => failure(alice.tx.commit({ newTransaction: {}, writes: [{ ref: ref(id), operation: { case: "set", value: { title: "x" } } }] })),
      (id) => failure(alice.tx.commit({ newTransaction: {}, writes: [{ ref: ref(id), operation: { case: "update", value: { data: { title: "x" } } } }] })),
    ];
    for (const [i, attempt] of attempts.entries()) {
      const stored = said(await attempt("pw"), "pw");
      expect(stored[0], `attempt ${i}`).toBe("PermissionDenied");
      expect(stored, `attempt ${i}`).toEqual(said(await attempt("nosuch"), "nosuch"));
    }
    expect(said(await attempts[0]!("pw"), "pw")[1]).toBe("the write rule of collection notes refuses this set");
    expect((await admin.docs.getDocument({ ref: ref("pw") })).document!.data).toMatchObject({ body: "hunter2" });
  });
});

describe("Listen by a rule-bound caller", () => {
  /** The messages a listener of `id` gets: its snapshot's, then those within `windowMs` of `act`. */
  async function heard(id: string, act: () => Promise<void>, windowMs: number): Promise<Array<{ changes: number; current: boolean }>> {
    const controller = new AbortController();
    const messages: Array<{ changes: number; current: boolean }> = [];
    const done = (async () => {
      try {
        for await (const m of alice.query.listen({ target: { case: "document", value: { collection: "notes", id } } }, { signal: controller.signal })) {
          messages.push({ changes: m.changes.length, current: m.current });
        }
      } catch (err) {
        if (!controller.signal.aborted) throw err;
      }
    })();
    try {
      const deadline = Date.now() + 10_000;
      while (!messages.some((m) => m.current)) {
        if (Date.now() > deadline) throw new Error("the listener never became current");
        await new Promise((r) => setTimeout(r, 20));
      }
      await act();
      await new Promise((r) => setTimeout(r, windowMs));
      return messages;
    } finally {
      controller.abort();
      await done;
    }
  }

  it("hears nothing when a document it may not read is written, as for a missing one (no checkpoint between heartbeats)", async () => {
    const write = (id: string) => async () => {
      for (let i = 0; i < 3; i++) await admin.docs.updateDocument({ ref: { collection: "notes", id }, patch: { data: { seen: i }, updateMask: { fieldPaths: ["seen"] } } });
    };
    const hidden = await heard("pw", write("pw"), 1_500);
    expect(hidden).toEqual([{ changes: 0, current: true }]);
    expect(await heard("nosuch", async () => {}, 1_500)).toEqual(hidden);
  });
});

describe("DeleteCollection by a rule-bound caller", () => {
  it("is refused with PERMISSION_DENIED when a read rule binds it, saying why, and deletes nothing", async () => {
    const err = await failure(alice.docs.deleteCollection({ collection: "diary" }));
    expect(Code[err.code]).toBe("PermissionDenied");
    expect(err.rawMessage).toMatch(/^collection diary has a read rule that binds you: DeleteCollection would delete, and count, documents the rules keep from you; only an admin/);
    const left = await admin.query.runQuery({ query: { collection: "diary" } });
    expect(left.documents.map((d) => d.id)).toEqual(["d1", "d2", "d3"]);
    expect((await failure(alice.docs.deleteCollection({ collection: "notes" }))).rawMessage).toMatch(/^collection notes has a read and a write rule that bind you/);
  });

  it("goes ahead in a collection no rule binds, and for an admin", async () => {
    await admin.docs.setDocument({ ref: { collection: "scratch", id: "s1" }, data: { owner: "bob" } });
    expect((await alice.docs.deleteCollection({ collection: "scratch" })).deletedCount).toBe(1n);
    expect((await admin.docs.deleteCollection({ collection: "diary" })).deletedCount).toBe(3n);
  });
});
