/**
 * Reading many documents in a transaction: getMany() in one call, the read
 * set's limit (TRANSACTION_READS_MAX) refused before anything is sent in
 * the SDK's words, and deadlines that say how long they were and what set
 * them. A new user's Promise.all of 500 get()s ended, after 13 s, in
 * "DeadlineExceeded: the operation timed out", naming neither.
 */
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient } from "../src/node.js";
import { TransactionService, type CommitRequest } from "../src/gen/impossibledb/v1/transaction_service_pb.js";
import { TRANSACTION_READS_MAX } from "../src/limits.js";

/** The server's request validation of GetDocuments and Commit, in its words (protovalidate's). */
const WIRE_REFUSAL = "refs: must contain no more than 500 item(s) [repeated.max_items]";

/** A store of the documents "d0".."d599" of "c" (but "d7", missing), counting GetDocuments calls and keeping Commits. */
function store(options: { hangReadsMs?: number; timeoutMs?: number } = {}) {
  const getCalls: number[] = [];
  const commits: CommitRequest[] = [];
  const transport = createRouterTransport((router) => {
    router.service(TransactionService, {
      async getDocuments(req) {
        getCalls.push(req.refs.length);
        if (req.refs.length > 500) throw new ConnectError(WIRE_REFUSAL, Code.InvalidArgument);
        if (options.hangReadsMs !== undefined) await new Promise((r) => setTimeout(r, options.hangReadsMs));
        return {
          transaction: "tx",
          reads: req.refs.map((ref) => ({ ref, version: ref.id === "d7" ? 0n : 1n, document: ref.id === "d7" ? undefined : { collection: ref.collection, id: ref.id, data: { id: ref.id }, version: 1n } })),
        };
      },
      commit(req) {
        commits.push(req);
        if (req.reads.length > 500) throw new ConnectError("reads: must contain no more than 500 item(s) [repeated.max_items]", Code.InvalidArgument);
        return { results: [] };
      },
      rollback: () => ({}),
    });
  });
  const db = new ImpossibleDBClient({ transport, retry: { attemptsMax: 1 }, timeoutMs: options.timeoutMs });
  return { db, getCalls, commits };
}

const refs = (n: number) => Array.from({ length: n }, (_, i) => ({ collection: "c", id: `d${i}` }));

/** The error `promise` rejects with, or `fn` throws. */
async function refusal(fn: () => unknown): Promise<ConnectError> {
  try {
    await fn();
  } catch (err) {
    return err as ConnectError;
  }
  throw new Error("expected a refusal");
}

describe("transaction getMany()", () => {
  it("reads TRANSACTION_READS_MAX documents in one call, in order, null for a missing one, and commits their versions", async () => {
    const { db, getCalls, commits } = store();
    const tx = db.createTransaction();
    const docs = await tx.getMany(refs(TRANSACTION_READS_MAX));
    expect(getCalls).toEqual([500]);
    expect(docs).toHaveLength(500);
    expect(docs[0]?.id).toBe("d0");
    expect(docs[7]).toBeNull();
    expect(docs[499]?.data).toEqual({ id: "d499" });
    await tx.commit();
    expect(commits[0]?.reads).toHaveLength(500);
  });

  it("takes DocumentReferences too", async () => {
    const { db } = store();
    const tx = db.createTransaction();
    const [doc] = await tx.getMany([db.collection("c").doc("d3")]);
    expect(doc?.id).toBe("d3");
  });

  it("refuses a read past TRANSACTION_READS_MAX before sending anything, naming the limit", async () => {
    const { db, getCalls } = store();
    const tx = db.createTransaction();
    const err = await refusal(() => tx.getMany(refs(501)));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^transaction getMany\(\): a transaction reads at most TRANSACTION_READS_MAX \(500\) documents .* this would make its read set 501: read fewer, or split/);
    expect(getCalls).toEqual([]);
    // Counted with what the transaction read before.
    await tx.getMany(refs(400));
    const more = await refusal(() => tx.getMany(refs(501).slice(300)));
    expect(more.rawMessage).toMatch(/read set 501:/);
    expect(getCalls).toEqual([400]);
  });
});

describe("the read set's limit in the SDK's words", () => {
  it("refuses the 501st queued read(), naming TRANSACTION_READS_MAX, not the server's `refs: must contain no more than 500 item(s)`", async () => {
    const { db, getCalls, commits } = store();
    const tx = db.createTransaction();
    for (const ref of refs(500)) tx.read(ref.collection, ref.id);
    const err = await refusal(() => tx.read("c", "d500"));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^transaction read\(\): a transaction reads at most TRANSACTION_READS_MAX \(500\) documents/);
    expect(err.rawMessage).not.toContain("repeated.max_items");
    // The 500 before it commit.
    const outcome = await tx.commit();
    expect(outcome.reads).toHaveLength(500);
    expect(getCalls).toEqual([500]);
    expect(commits[0]?.reads).toHaveLength(500);
  });

  it("refuses the 501st of 501 get()s sent at once, sending 500, so the commit is not refused on the wire", async () => {
    const { db, getCalls, commits } = store();
    const tx = db.createTransaction();
    const results = await Promise.allSettled(refs(501).map((ref) => tx.get(ref.collection, ref.id)));
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused).toHaveLength(1);
    expect(((refused[0] as PromiseRejectedResult).reason as ConnectError).rawMessage).toMatch(/^transaction get\(\): a transaction reads at most TRANSACTION_READS_MAX \(500\)/);
    expect(getCalls).toHaveLength(500);
    await tx.commit();
    expect(commits[0]?.reads).toHaveLength(500);
  });
});

describe("deadlines the SDK raises", () => {
  it("name their length and the client's timeoutMs option that set it", async () => {
    const { db } = store({ hangReadsMs: 2_000, timeoutMs: 50 });
    const err = await refusal(() => db.createTransaction().get("c", "d1"));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(err.rawMessage).toBe("the deadline of 50 ms (the client's timeoutMs option) passed (the operation timed out)");
  });

  it("name a call's own timeoutMs (a commit's)", async () => {
    const transport = createRouterTransport((router) => {
      router.service(TransactionService, {
        commit: () => new Promise(() => {}),
      });
    });
    const db = new ImpossibleDBClient({ transport, retry: { attemptsMax: 1 } });
    const err = await refusal(() => db.createTransaction().write("c", "d1", {}).commit({ timeoutMs: 30 }));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(err.rawMessage).toMatch(/^the deadline of 30 ms \(this call's timeoutMs option\) passed \(the operation timed out\): the commit's outcome is unknown/);
  });

  it("name the default, CALL_TIMEOUT_MS_DEFAULT, and the option that sets another", async () => {
    // Connect's own words for its timer, at once: the default's 10 s need not pass.
    const transport = createRouterTransport((router) => {
      router.service(TransactionService, {
        getDocuments() {
          throw new ConnectError("the operation timed out", Code.DeadlineExceeded);
        },
      });
    });
    const db = new ImpossibleDBClient({ transport, retry: { attemptsMax: 1 } });
    const err = await refusal(() => db.createTransaction().get("c", "d1"));
    expect(err.rawMessage).toBe("the deadline of 10000 ms (CALL_TIMEOUT_MS_DEFAULT; the client's timeoutMs option sets another) passed (the operation timed out)");
  });

  it("leave a server's own DEADLINE_EXCEEDED as it came, with its own words", async () => {
    const transport = createRouterTransport((router) => {
      router.service(TransactionService, {
        async getDocuments() {
          await new Promise((r) => setTimeout(r, 30));
          throw new ConnectError("the shard took too long", Code.DeadlineExceeded);
        },
      });
    });
    const db = new ImpossibleDBClient({ transport, retry: { attemptsMax: 1 } });
    const err = await refusal(() => db.createTransaction().get("c", "d1"));
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(err.rawMessage).toBe("the shard took too long");
  });
});
