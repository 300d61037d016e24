/**
 * Issue 11 over the RPCs: a search page token carries its first page's
 * statistics (N, each term's documents), which for an admin count documents
 * a rule-bound caller may not read. A token is honoured only for the
 * readers it was made for: an admin's token replayed by a rule-bound caller
 * (or the reverse, or by another rule-bound caller) is INVALID_ARGUMENT,
 * while the same caller continues its walk, even with a refreshed JWT.
 * The rest of issue 11's search leaks are tested in plain Node
 * (test/unit/search/rule-bound-leaks.test.ts), where limits can be lowered.
 */
import { Code, createClient, type Client, type Transport } from "@connectrpc/connect";
import { callFailure, handlerTransport, testJwt } from "./helpers.js";
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import type { Env } from "../../src/env.js";
import { createFetchHandler } from "../../src/server/fetch-handler.js";
import { createRouter } from "../../src/server/router.js";

const BOOTSTRAP = "bootstrap-key-for-search-leak-tests-0123456789";
const JWT_SECRET = "jwt-secret-for-search-leak-tests-0123456789abcdef";
const authEnv: Env = { ...env, AUTH_MODE: "required", ADMIN_BOOTSTRAP_KEY: BOOTSTRAP, JWT_ISSUER: "https://idp.test", JWT_AUDIENCE: "impossibledb", JWT_SECRET };
const handle = createFetchHandler(createRouter());

function transport(headers: Record<string, string>): Transport {
  return handlerTransport(handle, headers, authEnv);
}

interface Caller {
  docs: Client<typeof CollectionService>;
  query: Client<typeof QueryService>;
  admin: Client<typeof AdminService>;
}

function caller(token: string): Caller {
  const t = transport({ authorization: `Bearer ${token}` });
  return { docs: createClient(CollectionService, t), query: createClient(QueryService, t), admin: createClient(AdminService, t) };
}

function jwt(sub: string, extra: Record<string, unknown> = {}): Promise<string> {
  return testJwt(JWT_SECRET, sub, { impossibledb_roles: { default: "read_write" }, ...extra });
}

const failure = callFailure;

const COLLECTION = "leaks";
/** A collection that gains hidden documents during a test. */
const GROWING = "leaks_growing";
const admin = caller(BOOTSTRAP);
let alice: Caller;
let bob: Caller;

beforeAll(async () => {
  alice = caller(await jwt("alice"));
  bob = caller(await jwt("bob"));
  const read = "resource.data.owner == request.auth.sub || resource.data.public == true";
  await admin.admin.setRules({ rules: { collections: [{ collection: COLLECTION, read }, { collection: GROWING, read }] } });
  await admin.admin.createSearchIndex({ index: { collection: COLLECTION, textFields: [{ field: "title" }] } });
  const docs = [
    ...Array.from({ length: 4 }, (_, i) => ({ id: `a${i}`, owner: "alice", title: i % 2 === 0 ? "apple pie" : "apple apple tart" })),
    ...Array.from({ length: 9 }, (_, i) => ({ id: `d${i}`, owner: "dave", title: "apple cider and more apple" })),
    { id: "p0", owner: "bob", title: "apple public", public: true },
  ];
  for (const { id, ...data } of docs) await admin.docs.setDocument({ ref: { collection: COLLECTION, id }, data });
});

const query = { collection: COLLECTION, search: { text: "apple" } };

async function walk(c: Caller, first: string): Promise<Array<{ id: string; score: number }>> {
  const out: Array<{ id: string; score: number }> = [];
  for (let token = first; token !== ""; ) {
    const page = await c.query.runQuery({ query, pageSize: 1, pageToken: token });
    page.documents.forEach((d, i) => out.push({ id: d.id, score: page.hits[i]!.score }));
    token = page.nextPageToken;
  }
  return out;
}

describe("a search page token", () => {
  it("made for an admin is refused to a rule-bound caller, and the reverse, with INVALID_ARGUMENT", async () => {
    const adminFirst = await admin.query.runQuery({ query, pageSize: 1 });
    expect(adminFirst.nextPageToken).not.toBe("");
    const replayed = await failure(alice.query.runQuery({ query, pageSize: 1, pageToken: adminFirst.nextPageToken }));
    expect(replayed.code).toBe(Code.InvalidArgument);
    expect(replayed.rawMessage).toContain("run the search again without page_token");

    const aliceFirst = await alice.query.runQuery({ query, pageSize: 1 });
    expect(aliceFirst.nextPageToken).not.toBe("");
    expect((await failure(admin.query.runQuery({ query, pageSize: 1, pageToken: aliceFirst.nextPageToken }))).code).toBe(Code.InvalidArgument);
    // Bob reads other documents than alice: her statistics are not his.
    expect((await failure(bob.query.runQuery({ query, pageSize: 1, pageToken: aliceFirst.nextPageToken }))).code).toBe(Code.InvalidArgument);
  });

  it("continues for the caller it was made for, with a refreshed credential too, and its walk equals one page", async () => {
    const whole = await alice.query.runQuery({ query, pageSize: 100 });
    const expected = whole.documents.map((d, i) => ({ id: d.id, score: whole.hits[i]!.score }));
    expect(expected.map((e) => e.id).sort()).toEqual(["a0", "a1", "a2", "a3", "p0"]);
    const first = await alice.query.runQuery({ query, pageSize: 1 });
    // The same caller with a new token (other claims the rule does not read) continues the walk.
    const refreshed = caller(await jwt("alice", { session: "second" }));
    const rest = await walk(refreshed, first.nextPageToken);
    expect([{ id: first.documents[0]!.id, score: first.hits[0]!.score }, ...rest]).toEqual(expected);
  });
});

describe("a rule-bound caller's search on real shards", () => {
  it("answers the same, Explain's counts, rows read and plans included, after hidden documents holding its words are added", async () => {
    await admin.admin.createSearchIndex({ index: { collection: GROWING, textFields: [{ field: "title" }] } });
    const mine: Array<{ id: string } & Record<string, string | boolean>> = [
      { id: "m1", owner: "alice", title: "apple pie recipe" },
      { id: "m2", owner: "alice", title: "apple tart with apple cream" },
      { id: "m3", owner: "alice", title: "banana split" },
      { id: "m4", owner: "erin", title: "banana bread and apple", public: true },
    ];
    for (const { id, ...data } of mine) await admin.docs.setDocument({ ref: { collection: GROWING, id }, data });
    const view = async (text: string) => {
      const res = await alice.query.runQuery({ query: { collection: GROWING, search: { text } }, explain: true });
      const plan = res.plan!;
      return {
        hits: res.documents.map((d, i) => ({ id: d.id, score: res.hits[i]!.score })),
        compiled: plan.search!.compiled,
        documentsTotal: plan.search!.documentsTotal,
        terms: plan.search!.terms.map((t) => [t.term, t.documents]),
        statsRowsRead: plan.search!.statsRowsRead,
        shards: plan.shards.map((sh) => ({ shard: sh.shard, plan: sh.sqlPlan, rowsRead: sh.rowsRead, rowsReturned: sh.rowsReturned })),
      };
    };
    const texts = ["apple", "banana", "aplle", "apple OR banana", "apple NOT tart", '"apple pie"', "appl*"];
    const before = await Promise.all(texts.map(view));
    // Dave's documents: many hold alice's words, some a typo variant of hers ("aplles").
    for (let i = 0; i < 40; i++) {
      await admin.docs.setDocument({ ref: { collection: GROWING, id: `h${String(i).padStart(2, "0")}` }, data: { owner: "dave", title: i % 4 === 0 ? "aplles apple banana" : `apple tart apple cider ${i}` } });
    }
    expect(await Promise.all(texts.map(view))).toEqual(before);
    // The hidden documents are there: an admin sees them.
    const everyone = await admin.query.runQuery({ query: { collection: GROWING, search: { text: "apple" } }, explain: true });
    expect(everyone.plan!.search!.documentsTotal).toBe(44n);
  });
});
