/**
 * The browser build (Connect-Web over fetch) against a URL nothing listens
 * on: a failed fetch is UNAVAILABLE with the call's outcome unknown, as a
 * broken connection is in the Node build, so reads are retried and a lost
 * write or commit says it may have been applied. Node's fetch fails the way
 * a browser's does (a TypeError before any response).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient } from "../src/browser.js";

/** Nothing listens on port 1 of the loopback address: fetch fails at once. */
const UNREACHABLE_URL = "http://127.0.0.1:1";

function unreachable() {
  const retries: string[] = [];
  const db = new ImpossibleDBClient({
    baseUrl: UNREACHABLE_URL,
    retry: { attemptsMax: 3, initialBackoffMs: 1, maxBackoffMs: 2 },
    onRetry: ({ method }) => retries.push(method),
  });
  return { db, retries };
}

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  return call.then(
    () => expect.unreachable("the call succeeded"),
    (err: unknown) => ConnectError.from(err),
  );
}

describe("browser build, server unreachable", () => {
  it("a read fails UNAVAILABLE after its 3 attempts", async () => {
    const { db, retries } = unreachable();
    const err = await failure(db.collection("c").get("a"));
    expect(err.code).toBe(Code.Unavailable);
    expect(retries).toEqual(["impossibledb.v1.CollectionService/GetDocument", "impossibledb.v1.CollectionService/GetDocument"]);
  });

  it("a write fails UNAVAILABLE once, its outcome unknown; a commit says so too", async () => {
    const { db, retries } = unreachable();
    const put = await failure(db.collection("c").put("a", { n: 1 }));
    expect(put.code).toBe(Code.Unavailable);
    expect(put.rawMessage).toMatch(/^the request failed before an answer arrived \(.*fetch does not say whether it was sent\): the call's outcome is unknown; a write or commit may have been applied$/);
    const tx = db.createTransaction().write("c", "a", {});
    const commit = await failure(tx.commit());
    expect(commit.code).toBe(Code.Unavailable);
    expect(commit.rawMessage).toMatch(/outcome is unknown/);
    const batch = await failure(db.collection("c").batch().set("a", {}).commitAtomic());
    expect(batch.rawMessage).toMatch(/outcome is unknown/);
    expect(retries).toEqual([]);
  });
});
