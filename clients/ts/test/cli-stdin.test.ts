/**
 * `put` and `add` read the document from stdin when no JSON argument is
 * given. Stdin was read with readFileSync(0), which fails with EAGAIN on a
 * pipe whose writer is slower than the reader: a large document piped from
 * another program failed now and then with "unexpected error: EAGAIN".
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CollectionService } from "../src/gen/impossibledb/v1/collection_service_pb.js";
import { STDIN_BYTES_MAX } from "../src/cli/limits.js";
import { CLI_RUN_TIMEOUT_MS, runCli, startFakeServer, writeSlowly, type FakeServer } from "./cli-harness.js";

/** The length of the "big" field of every document the fake server was sent, by call. */
const received: Array<{ call: string; id: string; big: number }> = [];
let server: FakeServer;

/** The length of the string field "big" of a request's data (a Struct, read as a JSON object), or -1. */
function bigLength(data: JsonObject | undefined): number {
  const big = data?.["big"];
  return typeof big === "string" ? big.length : -1;
}

beforeAll(async () => {
  server = await startFakeServer((router) =>
    router.service(CollectionService, {
      setDocument(req) {
        received.push({ call: "set", id: req.ref?.id ?? "", big: bigLength(req.data) });
        return { document: { collection: req.ref?.collection ?? "", id: req.ref?.id ?? "", data: {}, version: 1n } };
      },
      addDocument(req) {
        received.push({ call: "add", id: "", big: bigLength(req.data) });
        return { document: { collection: req.collection, id: "new1", data: {}, version: 1n } };
      },
    }),
  );
});
afterAll(() => server.close());

/** A document of about `bytes` bytes of JSON: {"big": "xxx..."}. */
function bigDocument(bytes: number): { text: string; bigLength: number } {
  const bigLength = bytes - '{"big":""}\n'.length;
  return { text: `{"big":"${"x".repeat(bigLength)}"}\n`, bigLength };
}

describe("put and add read stdin as a stream", { timeout: CLI_RUN_TIMEOUT_MS * 2 }, () => {
  it("put reads 1 MB piped in 20 pieces 50 ms apart whole, and writes it", async () => {
    const { text, bigLength } = bigDocument(1_000_000);
    const ran = await runCli(server.url, ["put", "books", "big"], (pipe) => writeSlowly(pipe, text, 20, 50));
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    expect(received.at(-1)).toEqual({ call: "set", id: "big", big: bigLength });
  });

  it("add reads 1 MB piped slowly whole, and writes it", async () => {
    const { text, bigLength } = bigDocument(1_000_000);
    const ran = await runCli(server.url, ["add", "books"], (pipe) => writeSlowly(pipe, text, 10, 50));
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    expect(received.at(-1)).toEqual({ call: "add", id: "", big: bigLength });
  });

  it("refuses stdin past STDIN_BYTES_MAX with one line naming the limits, exit 2, sending nothing", async () => {
    const before = received.length;
    const { text } = bigDocument(STDIN_BYTES_MAX + 1000);
    const ran = await runCli(server.url, ["put", "books", "huge"], (pipe) => writeSlowly(pipe, text, 8, 10));
    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe("impossibledb: stdin holds more than 2 MiB (STDIN_BYTES_MAX), and a document is at most 1 MiB of JSON (DOCUMENT_BYTES_MAX); nothing was sent\n");
    expect(received.length).toBe(before);
  });

  it("refuses JSON that does not parse in one line, though the parser quotes input holding newlines, exit 2, sending nothing", async () => {
    const before = received.length;
    const ran = await runCli(server.url, ["put", "books", "bad"], (pipe) => writeSlowly(pipe, '{\n  "a": 1,\n  "b": oops\n}\n', 1, 0));
    expect(ran.code).toBe(2);
    expect(ran.stderr.split("\n").filter((line) => line !== "")).toHaveLength(1);
    expect(ran.stderr).toMatch(/^impossibledb: the document is not JSON: .*oops.*\n$/);
    expect(received.length).toBe(before);
  });
});
