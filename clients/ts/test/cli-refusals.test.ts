/**
 * The `impossibledb` command run as a user runs it (its source, through
 * tsx) against an in-memory AdminService that refuses: with --json a
 * server's refusal keeps the server's Connect code and message (the CLI's
 * advice in `hint`), and every argument the CLI itself refuses exits 2,
 * naming the argument, with nothing sent.
 */
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../src/gen/impossibledb/v1/admin_service_pb.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
// CLI_MAIN_UNDER_TEST runs these cases against another copy of the CLI (an older main.ts, to see them fail there).
const MAIN = process.env["CLI_MAIN_UNDER_TEST"] || path.resolve(import.meta.dirname, "../src/cli/main.ts");
/** Each case starts a process (tsx compiles the CLI on the way): seconds on a busy machine. */
const RUN_TIMEOUT_MS = 30_000;

/** The path of every request the fake server saw. */
const seen: string[] = [];
/** The text fields of every CreateSearchIndex the fake server saw. */
const created: string[][] = [];
let server: Server;
let url = "";

beforeAll(async () => {
  const routes = (router: ConnectRouter) =>
    router.service(AdminService, {
      startResharding() {
        throw new ConnectError("the database already has 8 shards", Code.FailedPrecondition);
      },
      cancelResharding() {
        throw new ConnectError("no resharding is running", Code.FailedPrecondition);
      },
      createSearchIndex(req) {
        created.push(req.index!.textFields.map((f) => `${f.field}:${f.weight}`));
        return { index: { collection: req.index!.collection, textFields: req.index!.textFields, state: 2 } };
      },
    });
  const handler = connectNodeAdapter({ routes });
  server = createServer((req, res) => {
    // Every request counts as sent, whatever it asks for.
    seen.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [MAIN, "--url", url, ...args], { cwd: ROOT, env: { ...process.env, IMPOSSIBLEDB_DEBUG: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("--json refusals carry the server's code and message", { timeout: RUN_TIMEOUT_MS }, () => {
  it("reshard --json: failed_precondition, the server's message alone, the next step in hint", async () => {
    const ran = await cli(["reshard", "8", "--json"]);
    expect(ran.code).toBe(1);
    expect(JSON.parse(ran.stderr)).toEqual({ code: "failed_precondition", message: "the database already has 8 shards", hint: "nothing to do", exit_code: 1 });
    // Without --json, the line of text is unchanged.
    const text = await cli(["reshard", "8"]);
    expect(text.stderr).toBe("impossibledb: cannot start resharding: the database already has 8 shards (nothing to do)\n");
  });

  it("resharding cancel --json: failed_precondition, the server's message alone", async () => {
    const ran = await cli(["resharding", "cancel", "--json"]);
    expect(ran.code).toBe(1);
    expect(JSON.parse(ran.stderr)).toEqual({ code: "failed_precondition", message: "no resharding is running", hint: "`impossibledb resharding` shows the last one", exit_code: 1 });
  });

  it("an argument commander refuses is one JSON object with code usage, exit 2", async () => {
    const before = seen.length;
    const ran = await cli(["reshard", "0x10", "--json"]);
    expect(ran.code).toBe(2);
    const refusal = JSON.parse(ran.stderr) as { code: string; message: string; exit_code: number };
    expect(refusal).toMatchObject({ code: "usage", exit_code: 2 });
    expect(refusal.message).toMatch(/shard-count.*plain decimal/);
    expect(seen.length).toBe(before);
  });
});

describe("arguments the CLI refuses exit 2, name the argument, and send nothing", { timeout: RUN_TIMEOUT_MS }, () => {
  const refused: ReadonlyArray<[string[], RegExp]> = [
    [["query", "places", "--near", "0,0,-5"], /^impossibledb: --near 0,0,-5: METERS must be from 0 to 20037509\n$/],
    [["query", "places", "--near", "0,0,30000000"], /^impossibledb: --near 0,0,30000000: METERS must be from 0 to 20037509\n$/],
    [["query", "places", "--near", "0x10,0,100"], /^impossibledb: --near 0x10,0,100: expected LAT,LNG,METERS, plain decimal numbers\n$/],
    [["query", "places", "--near", "1e1,0,100"], /^impossibledb: --near 1e1,0,100: expected LAT,LNG,METERS/],
    [["query", "places", "--near", "91,0,100"], /^impossibledb: --near 91,0,100: latitude 91 is not from -90 to 90\n$/],
    [["query", "places", "--within", "0,0,1,181"], /^impossibledb: --within 0,0,1,181: longitude 181 is not from -180 to 180\n$/],
    [["query", "places", "--within", "0,0,1,Infinity"], /^impossibledb: --within 0,0,1,Infinity: expected LAT,LNG,LAT,LNG/],
    [["query", "books", "--search", ""], /^impossibledb: --search: the text to search for is empty\n$/],
    [["query", "books", "--search", "  "], /^impossibledb: --search: the text to search for is empty\n$/],
    [["query", "books", "--exact"], /^impossibledb: --exact applies to --search: give --search TEXT, or leave out --exact\n$/],
    [["query", "books", "--limit", "0x10"], /--limit.*plain decimal/],
    [["search-index", "create", "books", "--text", "title:0x10"], /--text title:0x10: the weight after ":" must be a number from 0 to 1000/],
    [["reshard", "12", "--rest-ratio", "0x1"], /--rest-ratio.*plain decimal/],
  ];
  for (const [args, why] of refused) {
    it(args.join(" "), async () => {
      const before = seen.length;
      const ran = await cli(args);
      expect(ran.stderr).toMatch(why);
      expect(ran.code).toBe(2);
      expect(seen.length, "nothing was sent").toBe(before);
    });
  }

  it("with --json the refusal is code usage, naming the argument", async () => {
    const ran = await cli(["query", "places", "--near", "0,0,-5", "--json"]);
    expect(ran.code).toBe(2);
    expect(JSON.parse(ran.stderr)).toEqual({ code: "usage", message: "--near 0,0,-5: METERS must be from 0 to 20037509", exit_code: 2 });
  });
});

describe("repeated options", () => {
  it("--text given twice keeps both lists of fields (a second --text used to replace the first)", { timeout: RUN_TIMEOUT_MS }, async () => {
    const ran = await cli(["search-index", "create", "books", "--text", "title:2", "--text", "body"]);
    expect(ran.code).toBe(0);
    expect(created.at(-1)).toEqual(["title:2", "body:1"]);
  });

  it("an empty --text field name exits 2, naming --text, with nothing sent", { timeout: RUN_TIMEOUT_MS }, async () => {
    for (const text of ["", ",", "title:2,", ":2"]) {
      const before = created.length;
      const ran = await cli(["search-index", "create", "books", "--text", "title:2", "--text", text]);
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(/--text .*field name is empty/);
      expect(created.length).toBe(before);
    }
  });
});
