/**
 * Arguments the SDK refuses before it sends anything, naming what is wrong:
 * unknown keys in every options bag (a misspelt `precondtion` wrote without
 * its precondition), precondition values protobuf cannot serialize (they
 * came back as INTERNAL), an aggregation over a sorted or limited query
 * (which counted every document), limit(0) (which returned every
 * document), and where() operators from other languages.
 */
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { count, FieldValue, ImpossibleDBClient, sum, waitForResharding } from "../src/node.js";
import { AdminService } from "../src/gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../src/gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../src/gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../src/gen/impossibledb/v1/transaction_service_pb.js";

/** A client whose every call is recorded and answered with a document (or nothing): a refused call must record none. */
function recording() {
  const sent: string[] = [];
  const doc = { collection: "c", id: "a", data: {}, version: 1n };
  const transport = createRouterTransport((router) => {
    router.service(CollectionService, {
      setDocument: () => (sent.push("SetDocument"), { document: doc }),
      updateDocument: () => (sent.push("UpdateDocument"), { document: doc }),
      deleteDocument: () => (sent.push("DeleteDocument"), { deleted: true }),
      getDocument: () => (sent.push("GetDocument"), { document: doc }),
      listDocuments: () => (sent.push("ListDocuments"), {}),
      deleteCollection: () => (sent.push("DeleteCollection"), { done: true }),
      batchWriteDocuments: () => (sent.push("BatchWriteDocuments"), {}),
    });
    router.service(QueryService, {
      runQuery: () => (sent.push("RunQuery"), {}),
      runAggregationQuery: () => (sent.push("RunAggregationQuery"), { groups: [] }),
    });
    router.service(TransactionService, {
      commit: () => (sent.push("Commit"), {}),
      commitBatch: () => (sent.push("CommitBatch"), {}),
    });
    router.service(AdminService, {});
  });
  return { db: new ImpossibleDBClient({ transport, retry: false }), sent };
}

describe("options bags", () => {
  it("refuse a misspelt precondition or mask on every write, naming the key, the nearest one and those that exist, and send nothing", async () => {
    const { db, sent } = recording();
    const c = db.collection("c");
    const version = 1n;
    await expect(c.update("a", { n: 100 }, { precondtion: { version } } as never)).rejects.toThrow(
      new TypeError('update(c/a): unknown option "precondtion"; did you mean precondition? (options: precondition, mask)'),
    );
    await expect(c.delete("a", { precondtion: { version } } as never)).rejects.toThrow(/^delete\(c\/a\): unknown option "precondtion"; did you mean precondition\?/);
    await expect(c.update("a", { n: 1 }, { masks: ["n"] } as never)).rejects.toThrow(/unknown option "masks"; did you mean mask\?/);
    await expect(c.put("a", {}, { mask: ["n"] } as never)).rejects.toThrow(/^put\(c\/a\): unknown option "mask" \(options: precondition\)$/);
    expect(() => c.batch().update("a", {}, { precondtion: { version } } as never)).toThrow(/^update\(c\/a\): unknown option "precondtion"/);
    expect(() => c.batch().delete("a", { condition: {} } as never)).toThrow(TypeError);
    const tx = db.createTransaction();
    expect(() => tx.update("c", "a", {}, { updateMask: ["n"] } as never)).toThrow(/unknown option "updateMask"; did you mean mask\?/);
    expect(() => tx.write("c", "a", {}, { precondtion: { exists: true } } as never)).toThrow(TypeError);
    expect(sent).toEqual([]);
  });

  it("refuse unknown keys of reads, queries, batches, transactions, listeners and helpers", async () => {
    const { db, sent } = recording();
    const c = db.collection("c");
    await expect(c.get("a", { fields: ["n"] } as never)).rejects.toThrow(/^get\(c\/a\): unknown option "fields" \(options: select\)$/);
    await expect(c.getMany(["a"], { selct: ["n"] } as never)).rejects.toThrow(/did you mean select\?/);
    await expect(c.list({ limit: 5 } as never)).rejects.toThrow(/^list\(\) on c: unknown option "limit" \(options: select, pageSize, pageToken\)$/);
    await expect(c.list({ pagesize: 5 } as never)).rejects.toThrow(/did you mean pageSize\?/);
    await expect(c.listAll({ pageSize: 5 } as never)[Symbol.asyncIterator]().next()).rejects.toThrow(TypeError);
    await expect(c.deleteAll({ batch: 5 } as never)).rejects.toThrow(/unknown option "batch"/);
    await expect(c.batch().set("a", {}).commit({ returnDocument: true } as never)).rejects.toThrow(/did you mean returnDocuments\?/);
    await expect(c.batch().set("a", {}).commitAtomic({ timeout: 5 } as never)).rejects.toThrow(TypeError);
    await expect(c.query().page({ pageSise: 5 } as never)).rejects.toThrow(/did you mean pageSize\?/);
    await expect(c.query().aggregate({ n: count() }, { groupby: ["x"] } as never)).rejects.toThrow(/did you mean groupBy\?/);
    await expect(c.query().stream({ abort: undefined } as never)[Symbol.asyncIterator]().next()).rejects.toThrow(TypeError);
    expect(() => c.query().search("x", { highlights: true } as never)).toThrow(/did you mean highlight\?/);
    expect(() => c.query().listen({ reconect: {} } as never)).toThrow(/did you mean reconnect\?/);
    expect(() => c.query().listen({ reconnect: { maxAttempts: 1 } } as never)).toThrow(/^listen\(\) on c: reconnect: unknown option "maxAttempts"/);
    expect(() => c.onSnapshot(() => {}, undefined, { idleTimeout: 5 } as never)).toThrow(/did you mean idleTimeoutMs\?/);
    expect(() => c.doc("a").onSnapshot(() => {}, undefined, { onreconnect: () => {} } as never)).toThrow(/did you mean onReconnect\?/);
    await expect(c.doc("a").listen({ bogus: 1 } as never)[Symbol.asyncIterator]().next()).rejects.toThrow(TypeError);
    expect(() => db.createTransaction({ readonly: true } as never)).toThrow(/did you mean readOnly\?/);
    await expect(db.createTransaction().commit({ timeOutMs: 5 } as never)).rejects.toThrow(/did you mean timeoutMs\?/);
    await expect(db.runTransaction(() => undefined, { attempts: 2 } as never)).rejects.toThrow(/unknown option "attempts"/);
    await expect(db.runTransaction(() => undefined, { retry: { attempts: 2 } } as never)).rejects.toThrow(/^runTransaction\(\): retry: unknown option "attempts"/);
    await expect(waitForResharding(db, { interval: 5 } as never)).rejects.toThrow(/unknown option "interval"/);
    expect(() => FieldValue.serverTimestamp({ type: true } as never)).toThrow(/did you mean typed\?/);
    expect(() => new ImpossibleDBClient({ retry: { attemptMax: 2 } } as never)).toThrow(/^ImpossibleDBClient: retry: unknown option "attemptMax"; did you mean attemptsMax\?/);
    expect(() => new ImpossibleDBClient({ url: "http://db.example" } as never)).toThrow(/unknown option "url"; did you mean baseUrl\?/);
    expect(sent).toEqual([]);
  });

  it("take every known key, and undefined for none", async () => {
    const { db, sent } = recording();
    const c = db.collection("c");
    await c.update("a", { n: 1 }, { mask: ["n"], precondition: { version: 1n } });
    await c.list({ select: ["n"], pageSize: 10, pageToken: "" });
    await c.get("a", undefined);
    expect(sent).toEqual(["UpdateDocument", "ListDocuments", "GetDocument"]);
  });
});

describe("preconditions", () => {
  it("are checked before sending: one of exists and version, a version a whole number from 1 to 2^63-1, each named", async () => {
    const { db, sent } = recording();
    const c = db.collection("c");
    const bad: Array<[unknown, RegExp, ErrorConstructor]> = [
      [{ version: "abc" }, /^update\(c\/a\): precondition\.version must be a whole number .*got "abc"$/, TypeError],
      [{ exist: false }, /^update\(c\/a\): precondition: unknown field "exist"; did you mean exists\? \(fields: exists, version\)$/, TypeError],
      [{ versoin: 1n }, /unknown field "versoin"; did you mean version\?/, TypeError],
      [{}, /must have exactly one of exists and version, got neither/, TypeError],
      [{ exists: true, version: 1n }, /got both/, TypeError],
      [{ exists: "yes" }, /precondition\.exists must be true or false, got "yes"/, TypeError],
      [{ version: 1.5 }, /precondition\.version must be a whole number .*not a whole number/, TypeError],
      [{ version: 2 ** 60 }, /past 2\^53/, TypeError],
      [{ version: 2n ** 63n }, /precondition\.version must be from 1 to 2\^63-1, got 9223372036854775808$/, RangeError],
      [{ version: "-1" }, /from 1 to 2\^63-1, got -1$/, RangeError],
      [{ version: 0n }, /use \{ exists: false \}/, RangeError],
      [null, /precondition: the fields must be an object/, TypeError],
    ];
    for (const [precondition, message, type] of bad) {
      const err = await c.update("a", {}, { precondition } as never).catch((e: unknown) => e);
      expect(err, JSON.stringify(String(precondition))).toBeInstanceOf(type);
      expect((err as Error).message).toMatch(message);
    }
    expect(() => c.batch().delete("a", { precondition: { version: "abc" } } as never)).toThrow(/^delete\(c\/a\): precondition\.version/);
    expect(() => db.createTransaction().create("c", "a", {}, { precondition: { exist: false } } as never)).toThrow(/did you mean exists\?/);
    expect(sent).toEqual([]);
  });

  it("send a version given as a bigint, a safe integer or a decimal string as the int64 it is", async () => {
    const versions: bigint[] = [];
    const transport = createRouterTransport((router) => {
      router.service(CollectionService, {
        deleteDocument(req) {
          if (req.precondition?.condition.case === "version") versions.push(req.precondition.condition.value);
          return { deleted: true };
        },
      });
    });
    const c = new ImpossibleDBClient({ transport }).collection("c");
    for (const version of [7n, 8, "9223372036854775807"]) await c.delete("a", { precondition: { version } });
    expect(versions).toEqual([7n, 8n, 2n ** 63n - 1n]);
  });
});

describe("numbers that go into int32 and Duration fields", () => {
  it("refuses page and batch sizes outside their ranges, and transaction timeouts no Duration holds", async () => {
    const { db, sent } = recording();
    const c = db.collection("c");
    await expect(c.list({ pageSize: 1.5 })).rejects.toThrow(new RangeError("list() on c: pageSize must be a whole number from 1 to 1000, got 1.5"));
    await expect(c.list({ pageSize: 0 })).rejects.toThrow(/leave pageSize out for the server's default/);
    await expect(c.query().page({ pageSize: 2 ** 40 })).rejects.toThrow(RangeError);
    await expect(c.deleteAll({ batchSize: 501 })).rejects.toThrow(/batchSize must be a whole number from 1 to 500, got 501/);
    expect(() => db.createTransaction({ timeoutMs: Number.NaN })).toThrow(RangeError);
    expect(() => c.query().offset(2 ** 31)).toThrow(RangeError);
    expect(() => c.query().offset(-1)).toThrow(RangeError);
    expect(() => c.query().offset(0)).not.toThrow();
    expect(sent).toEqual([]);
  });

  it("refuses limit(0), which the wire reads as no limit, saying to leave limit out", () => {
    const q = recording().db.collection("c").query();
    expect(() => q.limit(0)).toThrow(new RangeError("query on c: limit() must be a whole number from 1 to 2147483647, got 0: leave limit() out for no limit"));
    expect(() => q.limit(2.5)).toThrow(RangeError);
    expect(() => q.limit(1)).not.toThrow();
  });
});

describe("aggregate()", () => {
  it("refuses a query with sort, limit, offset or select, as the server does, instead of counting every document", async () => {
    const { db, sent } = recording();
    const q = () => db.collection("c").query().where("i", ">", 0);
    const err = await q().sort("i").limit(5).aggregate({ n: count() }).then(
      () => expect.unreachable("aggregate() sent a limited query"),
      (e: unknown) => ConnectError.from(e),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe("aggregate() on c: an aggregation counts the whole filtered result, so its query must leave sort, limit, offset and select unset; remove sort(), limit() (keep where() and filter())");
    await expect(q().offset(1).aggregate({ n: count() })).rejects.toThrow(/remove offset\(\)/);
    await expect(q().select("i").aggregate({ n: count() })).rejects.toThrow(/remove select\(\)/);
    await expect(q().search("x").aggregate({ n: count() })).rejects.toThrow(/not supported by aggregations/);
    expect(sent).toEqual([]);
    await q().filter("i < 9").aggregate({ n: count() });
    expect(sent).toEqual(["RunAggregationQuery"]);
  });
});

describe("where()", () => {
  it("names the operator to write for one from another language, and lists the operators", () => {
    const q = recording().db.collection("c").query();
    const hint = (op: string) => {
      try {
        q.where("i", op as never, 1);
      } catch (err) {
        return ConnectError.from(err).rawMessage;
      }
      return "accepted";
    };
    expect(hint("=")).toBe('query on c: where("i", "=", value): unknown operator "="; did you mean "=="? (operators: ==, !=, <, <=, >, >=, in, not-in, array-contains, array-contains-any, exists)');
    expect(hint("===")).toMatch(/did you mean "=="\?/);
    expect(hint("<>")).toMatch(/did you mean "!="\?/);
    expect(hint("!==")).toMatch(/did you mean "!="\?/);
    expect(hint("=>")).toMatch(/did you mean ">="\?/);
    expect(hint("=<")).toMatch(/did you mean "<="\?/);
    expect(hint("IN")).toMatch(/did you mean "in"\?/);
    expect(hint("not in")).toMatch(/did you mean "not-in"\?/);
    expect(hint("notIn")).toMatch(/did you mean "not-in"\?/);
    expect(hint("contains")).toMatch(/did you mean "array-contains"\?/);
    expect(hint("array_contains_any")).toMatch(/did you mean "array-contains-any"\?/);
    expect(hint("array-contain")).toMatch(/did you mean "array-contains"\?/);
    expect(hint("~")).toMatch(/unknown operator "~" \(operators: /);
    expect(hint("constructor")).toMatch(/unknown operator "constructor"/);
  });
});

/** The code and message of what `f` threw (or rejected with); "accepted" when it did neither. */
async function refusal(f: () => unknown): Promise<{ type: string; code?: Code; message: string } | "accepted"> {
  try {
    await f();
  } catch (err) {
    if (err instanceof ConnectError) return { type: "ConnectError", code: err.code, message: err.rawMessage };
    return { type: (err as Error).constructor.name, message: (err as Error).message };
  }
  return "accepted";
}

describe("option values of the wrong kind", () => {
  it("refuse a boolean option given as text or a number (exact: \"false\" searched exactly) with a TypeError naming it", async () => {
    const { db, sent } = recording();
    const q = () => db.collection("c").query();
    expect(await refusal(() => q().search("fox", { exact: "false" } as never))).toEqual({ type: "TypeError", message: 'search(): the option exact must be true or false, got "false"' });
    expect(await refusal(() => q().search("fox", { highlight: 1 } as never))).toMatchObject({ type: "TypeError", message: /the option highlight must be true or false, got 1$/ });
    expect(await refusal(() => q().page({ explain: "yes" } as never))).toMatchObject({ type: "TypeError", message: /^page\(\) on c: the option explain must be true or false/ });
    expect(await refusal(() => db.collection("c").batch().set("a", {}).commit({ returnDocuments: "true" } as never))).toMatchObject({ type: "TypeError", message: /the option returnDocuments/ });
    expect(await refusal(() => db.createTransaction({ readOnly: "false" } as never))).toMatchObject({ type: "TypeError", message: /^createTransaction\(\): the option readOnly must be true or false/ });
    expect(await refusal(() => FieldValue.serverTimestamp({ typed: "true" } as never))).toMatchObject({ type: "TypeError", message: /the option typed must be true or false/ });
    expect(sent).toEqual([]);
  });

  it("refuse numbers, functions, signals and choices of the wrong kind, at every bag", async () => {
    const { db, sent } = recording();
    const c = db.collection("c");
    expect(await refusal(() => c.list({ pageSize: "5" } as never))).toMatchObject({ type: "TypeError", message: 'list() on c: the option pageSize must be a number, got "5"' });
    expect(await refusal(() => c.deleteAll({ onProgress: "log" } as never))).toMatchObject({ type: "TypeError", message: /the option onProgress must be a function/ });
    expect(await refusal(() => c.query().stream({ signal: {} } as never)[Symbol.asyncIterator]().next())).toMatchObject({ type: "TypeError", message: /the option signal must be an AbortSignal, got an object/ });
    expect(await refusal(() => c.query().listen({ idleTimeoutMs: "45s" } as never))).toMatchObject({ type: "TypeError", message: /the option idleTimeoutMs must be a number/ });
    expect(await refusal(() => c.query().listen({ reconnect: { attemptsMax: "3" } } as never))).toMatchObject({ type: "TypeError", message: /^listen\(\) on c: reconnect: the option attemptsMax must be a number/ });
    expect(await refusal(() => new ImpossibleDBClient({ httpVersion: 2 } as never))).toMatchObject({ type: "TypeError", message: 'ImpossibleDBClient: the option httpVersion must be "1.1" or "2", got 2' });
    expect(await refusal(() => new ImpossibleDBClient({ retry: { random: 0.5 } } as never))).toMatchObject({ type: "TypeError", message: /retry: the option random must be a function/ });
    expect(await refusal(() => waitForResharding(db, { intervalMs: "1s" } as never))).toMatchObject({ type: "TypeError", message: /^waitForResharding: the option intervalMs must be a number/ });
    expect(sent).toEqual([]);
  });
});

describe("strings the request carries", () => {
  it("refuse a value that is not a string with INVALID_ARGUMENT naming the argument, instead of sending its text or failing as INTERNAL", async () => {
    const { db, sent } = recording();
    const c = db.collection("c");
    const invalid = (message: string | RegExp) => ({ type: "ConnectError", code: Code.InvalidArgument, message });
    expect(await refusal(() => c.query().select("a", 1 as never).execute())).toEqual(invalid("query on c: select(): the field paths[1] must be a string, got 1"));
    expect(await refusal(() => c.query().aggregate({ n: count() }, { groupBy: [{}] as never }))).toEqual(invalid("aggregate() on c: the option groupBy[0] must be a string, got an object"));
    expect(await refusal(() => c.query().aggregate({ total: sum(7 as never) }))).toEqual(invalid("aggregate() on c: total: sum()'s field path must be a string, got 7"));
    expect(await refusal(() => c.query().aggregate({ n: count(null as never) }))).toMatchObject(invalid(/n: count\(\)'s field path must be a string, got null/));
    expect(await refusal(() => c.query().aggregate({ n: "count" as never }))).toMatchObject(invalid(/n: unknown aggregate function/));
    expect(await refusal(() => c.query().where(5 as never, "==", 1))).toEqual(invalid("query on c: where(): the field path must be a string, got 5"));
    expect(await refusal(() => c.query().sort(["a"] as never))).toEqual(invalid("query on c: sort(): the field path must be a string, got an array"));
    expect(await refusal(() => c.query().filter(1 as never))).toEqual(invalid("query on c: filter(): the expression must be a string, got 1"));
    expect(await refusal(() => c.query().page({ pageToken: 1 } as never))).toEqual(invalid("page() on c: the option pageToken must be a string, got 1"));
    expect(await refusal(() => c.list({ select: "a" } as never))).toEqual(invalid('list() on c: the option select must be an array of strings, got "a"'));
    expect(await refusal(() => c.get("a", { select: [1] } as never))).toMatchObject(invalid(/the option select\[0\] must be a string/));
    expect(await refusal(() => c.update("a", { n: 1 }, { mask: [Symbol("n")] } as never))).toMatchObject(invalid(/^update\(c\/a\): the option mask\[0\] must be a string, got Symbol\(n\)$/));
    expect(await refusal(() => db.collection(1 as never))).toEqual(invalid("collection(): the name must be a string, got 1"));
    expect(await refusal(() => new ImpossibleDBClient({ database: 7 } as never))).toEqual(invalid("ImpossibleDBClient: the option database must be a string, got 7"));
    expect(await refusal(() => db.createTransaction({ retryOf: 1 } as never))).toMatchObject(invalid(/the option retryOf must be a string/));
    expect(sent).toEqual([]);
  });

  it("refuse document ids and collections that are not strings in every read and write, naming the method called", async () => {
    const { db, sent } = recording();
    const c = db.collection("c");
    const id = 1 as never;
    for (const [method, f] of [
      ["get", () => c.get(id)],
      ["put", () => c.put(id, {})],
      ["create", () => c.create(id, {})],
      ["update", () => c.update(id, {})],
      ["delete", () => c.delete(id)],
      ["set", () => c.batch().set(id, {})],
      ["doc", () => c.doc(id)],
    ] as const) {
      expect(await refusal(f)).toEqual({ type: "ConnectError", code: Code.InvalidArgument, message: `${method}() on c: the id must be a string, got 1` });
    }
    expect(await refusal(() => c.getMany(["a", 2] as never))).toMatchObject({ code: Code.InvalidArgument, message: "getMany() on c: the ids[1] must be a string, got 2" });
    const tx = db.createTransaction();
    expect(await refusal(() => tx.write("c", id, {}))).toMatchObject({ code: Code.InvalidArgument, message: "write() on c: the id must be a string, got 1" });
    expect(await refusal(() => tx.delete(3 as never, "a"))).toMatchObject({ code: Code.InvalidArgument, message: "delete(): the collection must be a string, got 3" });
    expect(await refusal(() => tx.read("c", id))).toMatchObject({ code: Code.InvalidArgument, message: "transaction read() on c: the id must be a string, got 1" });
    expect(await refusal(() => tx.get("c", id))).toMatchObject({ code: Code.InvalidArgument, message: "transaction get() on c: the id must be a string, got 1" });
    expect(sent).toEqual([]);
  });
});

describe("a transaction's writes", () => {
  it("name the method called in their errors: write(), not set()", () => {
    const tx = recording().db.createTransaction();
    expect(() => tx.write("c", "a", {}, { precondtion: { exists: true } } as never)).toThrow(/^write\(c\/a\): unknown option "precondtion"; did you mean precondition\?/);
    expect(() => tx.write("c", "a", {}, { precondition: { version: "x" } } as never)).toThrow(/^write\(c\/a\): precondition\.version must be a whole number/);
    expect(() => tx.create("c", "a", {}, { precondition: {} } as never)).toThrow(/^create\(c\/a\): precondition must have exactly one/);
    expect(() => tx.update("c", "a", {}, { mask: "n" } as never)).toThrow(/update\(c\/a\): the option mask must be an array of strings/);
    expect(() => tx.delete("c", "a", { precondition: { exists: 1 } } as never)).toThrow(/^delete\(c\/a\): precondition\.exists must be true or false/);
    expect(() => recording().db.collection("c").batch().set("a", {}, { precondtion: {} } as never)).toThrow(/^set\(c\/a\): unknown option/);
  });
});

describe("a precondition's version given as a string", () => {
  it("must be canonical decimal: \"01\" (which was sent as 1), \"+1\", \" 1\" and \"0x10\" are refused, naming the option", async () => {
    const { db, sent } = recording();
    const c = db.collection("c");
    for (const version of ["01", "+1", " 1", "1 ", "0x10", "0b1", "00", "-01", ""]) {
      const err = await refusal(() => c.update("a", {}, { precondition: { version } }));
      expect(err, JSON.stringify(version)).toMatchObject({ type: "TypeError", message: expect.stringMatching(new RegExp(`^update\\(c/a\\): precondition\\.version must be a whole number .*got ${JSON.stringify(version).replace(/[+]/g, "\\+")}`)) });
    }
    expect(await refusal(() => c.update("a", {}, { precondition: { version: "01" } }))).toMatchObject({ message: /got "01" \(a decimal string is digits only, without leading zeros/ });
    expect(() => db.createTransaction().delete("c", "a", { precondition: { version: "007" } })).toThrow(/^delete\(c\/a\): precondition\.version .*got "007"/);
    expect(sent).toEqual([]);
    await c.update("a", {}, { precondition: { version: "10" } });
    expect(sent).toEqual(["UpdateDocument"]);
  });
});
