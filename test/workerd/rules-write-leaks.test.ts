/**
 * A write by a caller bound by security rules must not tell a document its
 * read rule hides from a missing one. With the docs' own `posts` rules
 * (docs/security.md), the old code answered a hidden document's delete,
 * update or precondition with PERMISSION_DENIED (the write rule saw its
 * owner) and a missing one's with OK, NOT_FOUND or FAILED_PRECONDITION
 * "does not exist". Now an update, a delete or a precondition first needs a
 * document the caller may read (a missing one judged with
 * `resource == null`, which these read rules refuse), on every write path.
 */
import { Code, createClient, type Client, type Transport } from "@connectrpc/connect";
import { callFailure, handlerTransport, testJwt } from "./helpers.js";
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import type { Env } from "../../src/env.js";
import { createFetchHandler } from "../../src/server/fetch-handler.js";
import { createRouter } from "../../src/server/router.js";

const BOOTSTRAP = "bootstrap-key-for-rule-write-leak-tests-0123456789";
const JWT_SECRET = "jwt-secret-for-rule-write-leak-tests-0123456789abcdef";
const authEnv: Env = { ...env, AUTH_MODE: "required", ADMIN_BOOTSTRAP_KEY: BOOTSTRAP, JWT_ISSUER: "https://idp.test", JWT_AUDIENCE: "impossibledb", JWT_SECRET };
const handle = createFetchHandler(createRouter());

/** The example rules of docs/security.md, word for word. */
const POSTS = {
  collection: "posts",
  read: "resource.data.owner == request.auth.sub || resource.data.public == true",
  write: "(resource == null || resource.data.owner == request.auth.sub) && (request.resource == null || request.resource.data.owner == request.auth.sub)",
};

function clients(token: string): { docs: Client<typeof CollectionService>; tx: Client<typeof TransactionService>; admin: Client<typeof AdminService> } {
  const t: Transport = handlerTransport(handle, { authorization: `Bearer ${token}` }, authEnv);
  return { docs: createClient(CollectionService, t), tx: createClient(TransactionService, t), admin: createClient(AdminService, t) };
}

const admin = clients(BOOTSTRAP);
let alice: ReturnType<typeof clients>;
let hiddenVersion = 0n;

/**
 * What the caller sees of a call: "OK" or its code and message; for
 * BatchWriteDocuments, which answers OK with a status per write, the
 * first write's status.
 */
async function answer(p: Promise<unknown>): Promise<string> {
  try {
    const res = (await p) as { statuses?: Array<{ code: number; message: string }> };
    const status = res.statuses?.[0];
    if (status !== undefined && status.code !== 0) return `${Code[status.code]}: ${status.message}`;
    return "OK";
  } catch {
    const err = await callFailure(p);
    return `${Code[err.code]}: ${err.rawMessage}`;
  }
}

const ref = (id: string) => ({ collection: "posts", id });
const update = (id: string) => ({ ref: ref(id), operation: { case: "update" as const, value: { data: { owner: "alice", n: 1 }, updateMask: { fieldPaths: ["n"] } } } });
const del = (id: string) => ({ ref: ref(id), operation: { case: "delete" as const, value: {} } });

beforeAll(async () => {
  alice = clients(await testJwt(JWT_SECRET, "alice", { impossibledb_roles: { default: "read_write" } }));
  await admin.admin.setRules({ rules: { collections: [POSTS] } });
  const hidden = await admin.docs.setDocument({ ref: ref("h1"), data: { owner: "bob", title: "bob's draft" } });
  hiddenVersion = hidden.document!.version;
  await admin.docs.setDocument({ ref: ref("mine"), data: { owner: "alice", title: "alice's post" } });
});

describe("a rule-bound caller's write to a document its read rule hides", () => {
  const rows: Array<[string, (id: string) => Promise<unknown>]> = [
    ["DeleteDocument", (id) => alice.docs.deleteDocument({ ref: ref(id) })],
    ["UpdateDocument (owner = caller)", (id) => alice.docs.updateDocument({ ref: ref(id), patch: { data: { owner: "alice", n: 1 }, updateMask: { fieldPaths: ["owner", "n"] } } })],
    ["DeleteDocument, precondition exists: true", (id) => alice.docs.deleteDocument({ ref: ref(id), precondition: { condition: { case: "exists", value: true } } })],
    ["UpdateDocument, precondition version", (id) => alice.docs.updateDocument({ ref: ref(id), patch: { data: { n: 1 }, updateMask: { fieldPaths: ["n"] } }, precondition: { condition: { case: "version", value: hiddenVersion } } })],
    ["SetDocument, precondition version", (id) => alice.docs.setDocument({ ref: ref(id), data: { owner: "alice" }, precondition: { condition: { case: "version", value: hiddenVersion } } })],
    ["SetDocument with a transform, precondition exists: true", (id) => alice.docs.setDocument({ ref: ref(id), data: { owner: "alice" }, precondition: { condition: { case: "exists", value: true } }, transforms: [{ fieldPath: "n", transformType: { case: "increment", value: { kind: { case: "numberValue", value: 1 } } } }] })],
    ["BatchWriteDocuments delete", (id) => alice.docs.batchWriteDocuments({ writes: [del(id)] })],
    ["BatchWriteDocuments update", (id) => alice.docs.batchWriteDocuments({ writes: [update(id)] })],
    ["CommitBatch delete", (id) => alice.tx.commitBatch({ writes: [del(id)] })],
    ["CommitBatch update", (id) => alice.tx.commitBatch({ writes: [update(id)] })],
    ["CommitBatch delete, precondition exists: true", (id) => alice.tx.commitBatch({ writes: [{ ...del(id), precondition: { condition: { case: "exists", value: true } } }] })],
    ["CommitBatch update, precondition version", (id) => alice.tx.commitBatch({ writes: [{ ...update(id), precondition: { condition: { case: "version", value: hiddenVersion } } }] })],
    ["Commit delete", (id) => alice.tx.commit({ writes: [del(id)], newTransaction: {} })],
    ["Commit update", (id) => alice.tx.commit({ writes: [update(id)], newTransaction: {} })],
  ];

  for (const [name, call] of rows) {
    it(`${name}: answers exactly as for a missing id, PERMISSION_DENIED, and changes nothing`, async () => {
      const hidden = await answer(call("h1"));
      const missing = await answer(call("nope"));
      expect(hidden).toBe(missing);
      expect(hidden).toMatch(/^PermissionDenied: the read rule of collection posts refuses this (delete|update|set)/);
      const stored = await admin.docs.getDocument({ ref: ref("h1") });
      expect(stored.document?.data).toEqual({ owner: "bob", title: "bob's draft" });
      expect(await answer(admin.docs.getDocument({ ref: ref("nope") }))).toMatch(/^NotFound/);
    });
  }

  it("still lets the caller update and delete its own documents, and create new ones", async () => {
    await alice.docs.updateDocument({ ref: ref("mine"), patch: { data: { n: 2 }, updateMask: { fieldPaths: ["n"] } } });
    await alice.docs.createDocument({ ref: ref("fresh"), data: { owner: "alice" } });
    await alice.tx.commitBatch({ writes: [{ ref: ref("fresh2"), operation: { case: "create", value: { owner: "alice" } }, precondition: { condition: { case: "exists", value: false } } }] });
    expect((await alice.docs.deleteDocument({ ref: ref("mine") })).deleted).toBe(true);
    expect((await admin.docs.getDocument({ ref: ref("fresh") })).document?.data).toEqual({ owner: "alice" });
  });
});
