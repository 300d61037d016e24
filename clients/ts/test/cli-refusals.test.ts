/**
 * The `impossibledb` command run as a user runs it (its source, through
 * tsx) against an in-memory AdminService that refuses: with --json a
 * server's refusal keeps the server's Connect code and message (the CLI's
 * advice in `hint`), and every argument the CLI itself refuses exits 2,
 * naming the argument, with nothing sent.
 */
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { toJson } from "@bufbuild/protobuf";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService, Resharding_Phase, Resharding_State } from "../src/gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../src/gen/impossibledb/v1/collection_service_pb.js";
import { WriteSchema } from "../src/gen/impossibledb/v1/document_pb.js";

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
/** "collection pageToken" of every ListDocuments the fake server saw. */
const listed: string[] = [];
/** How long the fake server takes over a page or a batch it is meant to be interrupted in. */
const SLOW_PAUSE_MS = 2_000;
/** The pages of the collection "slow", by page token. */
const SLOW_PAGES: Readonly<Record<string, { id: string; next: string; pauseMs: number }>> = {
  p1: { id: "s1", next: "p2", pauseMs: 0 },
  p2: { id: "s2", next: "p3", pauseMs: SLOW_PAUSE_MS },
  p3: { id: "s3", next: "", pauseMs: SLOW_PAUSE_MS },
};
/** The resharding the fake server starts (and cancels) and that never ends. */
const RUNNING_RESHARDING = { id: "op-9", state: Resharding_State.RUNNING, phase: Resharding_Phase.COPYING, sourceShardCount: 8, targetShardCount: 9, documentsTotal: 10n };
/** How many StartResharding calls the fake server has begun answering slowly. */
let slowStarts = 0;
/** Every write of every BatchWriteDocuments the fake server saw, in protobuf JSON. */
const written: unknown[] = [];
let server: Server;
let url = "";

/** The server's refusal of a database that does not exist (or is being deleted), in its words (src/databases/catalog-client.ts): "nope-db" and "going". */
function refuseMissingDatabase(header: Headers): void {
  const database = header.get("impossibledb-database");
  const why = database === "nope-db" ? "does not exist" : database === "going" ? "is being deleted" : undefined;
  if (why !== undefined) {
    throw new ConnectError(`database ${database} ${why}: create it with AdminService.CreateDatabase, or omit the impossibledb-database header to use the default database`, Code.NotFound);
  }
}

beforeAll(async () => {
  const routes = (router: ConnectRouter) =>
    router.service(CollectionService, {
      getDocument(req, ctx) {
        refuseMissingDatabase(ctx.requestHeader);
        throw new ConnectError(`document ${req.ref?.collection}/${req.ref?.id} does not exist`, Code.NotFound);
      },
      listCollections(_req, ctx) {
        refuseMissingDatabase(ctx.requestHeader);
        return { collections: [] };
      },
      async listDocuments(req) {
        listed.push(`${req.collection} ${req.pageToken}`);
        // "slow" (and "slow..."): pages p1 (at once), p2 (after a pause, to be interrupted in), p3 (the last).
        const slow = SLOW_PAGES[req.pageToken === "" ? "p1" : req.pageToken];
        if (req.collection.startsWith("slow") && slow !== undefined) {
          if (slow.pauseMs > 0) await new Promise((r) => setTimeout(r, slow.pauseMs));
          return { documents: [{ collection: req.collection, id: slow.id, data: {} }], nextPageToken: slow.next };
        }
        if (req.pageToken !== "") throw new ConnectError("page_token is not a page token ImpossibleDB issued", Code.InvalidArgument);
        return { documents: [{ collection: req.collection, id: "b1", data: { title: "One" } }], nextPageToken: "" };
      },
      async batchWriteDocuments(req) {
        if (req.writes.some((w) => w.ref?.collection === "slow")) await new Promise((r) => setTimeout(r, SLOW_PAUSE_MS));
        // The server names a write by its index in the call, as ImpossibleDB's own checks do.
        const refused = req.writes.findIndex((w) => w.ref?.id.startsWith("refused") === true);
        if (refused >= 0) throw new ConnectError(`writes[${refused}].set: the value is refused`, Code.InvalidArgument);
        written.push(...req.writes.map((w) => toJson(WriteSchema, w)));
        return { statuses: req.writes.map((w, i) => (w.ref?.id.startsWith("failing") === true ? { code: Code.FailedPrecondition, message: `writes[${i}] failed its precondition` } : { code: 0, message: "" })) };
      },
    }) &&
    router.service(AdminService, {
      async startResharding(req) {
        // 9 shards: a resharding that starts and never ends (to be interrupted while followed).
        if (req.shardCount === 9) return { resharding: RUNNING_RESHARDING };
        // 11 shards: a StartResharding slow to answer (to be interrupted while in flight).
        if (req.shardCount === 11) {
          slowStarts++;
          await new Promise((r) => setTimeout(r, SLOW_PAUSE_MS));
          return { resharding: RUNNING_RESHARDING };
        }
        throw new ConnectError("the database already has 8 shards", Code.FailedPrecondition);
      },
      cancelResharding(_req, ctx) {
        // The database "rolling": a cancel whose rollback never ends.
        if (ctx.requestHeader.get("impossibledb-database") === "rolling") return { resharding: RUNNING_RESHARDING };
        throw new ConnectError("no resharding is running", Code.FailedPrecondition);
      },
      getResharding() {
        return { resharding: RUNNING_RESHARDING };
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

function cli(args: string[], env: Record<string, string> = {}, interruptWhen?: () => boolean): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [MAIN, "--url", url, ...args], { cwd: ROOT, env: { ...process.env, IMPOSSIBLEDB_DEBUG: "", IMPOSSIBLEDB_DATABASE: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    // Ctrl-C, once the fake server has seen what the case waits for.
    if (interruptWhen !== undefined) {
      const poll = setInterval(() => {
        if (!interruptWhen()) return;
        clearInterval(poll);
        child.kill("SIGINT");
      }, 20);
      child.once("close", () => clearInterval(poll));
    }
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
    expect(text.stderr).toBe("impossibledb: cannot start resharding: the database already has 8 shards (nothing to do)\n");    // An interval of seconds reaches the server (it was refused as "a whole number from 1 to 1024", the shard count's range).
    const waited = await cli(["reshard", "8", "--wait", "--interval-ms", "2000", "--json"]);
    expect(JSON.parse(waited.stderr)).toMatchObject({ code: "failed_precondition", message: "the database already has 8 shards" });
  });

  it("resharding during a run prints no split advice, and says when to ask (GetResharding gives none then)", async () => {
    const ran = await cli(["resharding"]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain("resharding op-9: RUNNING, phase COPYING\n");
    expect(ran.stdout).toMatch(/\nadvice: none while this resharding runs; run `impossibledb resharding` again when it ends\n$/);
    expect(ran.stdout).not.toMatch(/keep \d+ shards/);
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
    // It was sent as the field "title:2", and the server's refusal exited 1.
    [["search-index", "create", "books", "--text", "title:2:3"], /^impossibledb: --text title:2:3: more than one ":"; give FIELD or FIELD:WEIGHT/],
    [["search-index", "create", "books", "--text", "body,a:b:1"], /--text a:b:1: more than one ":"/],
    [["reshard", "12", "--rest-ratio", "0x1"], /--rest-ratio.*plain decimal/],
  ];
  for (const [args, why] of refused) {
    it(args.join(" "), async () => {
      const before = seen.length;
      const ran = await cli(args);
      expect(ran.stderr).toMatch(why);
      // One line, as docs/cli.md says (commander printed the whole help after it).
      expect(ran.stderr.trimEnd().split("\n")).toHaveLength(1);
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

describe("every refusal starts with impossibledb:", { timeout: RUN_TIMEOUT_MS }, () => {
  // Commander's own refusals started with "error:", the CLI's with "impossibledb:".
  const refused: ReadonlyArray<[string[], string]> = [
    [["get", "books"], "impossibledb: missing required argument 'id'\n"],
    [["get", "books", "b1", "--bogus"], "impossibledb: unknown option '--bogus'\n"],
    [["frobnicate"], "impossibledb: unknown command 'frobnicate'\n"],
    [["--database", "Bad_ID", "get", "books", "b1"], "impossibledb: option '--database <id>' argument 'Bad_ID' is invalid. "],
    [["query", "books", "--limit", "0x10"], "impossibledb: option '--limit <n>' argument '0x10' is invalid. "],
    [["databases", "create"], "impossibledb: missing required argument 'id'\n"],
  ];
  for (const [args, start] of refused) {
    it(args.join(" "), async () => {
      const ran = await cli(args);
      expect(ran.code).toBe(2);
      expect(ran.stderr.startsWith(start), ran.stderr).toBe(true);
      expect(ran.stderr).not.toMatch(/^error:/m);
    });
  }
});

describe("a database that does not exist", { timeout: RUN_TIMEOUT_MS }, () => {
  it("is told in the CLI's words, with the command that creates it (it was the server's, naming AdminService.CreateDatabase and a header)", async () => {
    const ran = await cli(["--database", "nope-db", "get", "books", "b1"]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe(
      "impossibledb: database nope-db does not exist (create it with `impossibledb databases create nope-db`, or leave out --database and IMPOSSIBLEDB_DATABASE to use the database default)\n",
    );
    const fromEnvironment = await cli(["collections"], { IMPOSSIBLEDB_DATABASE: "nope-db" });
    expect(fromEnvironment.stderr).toMatch(/^impossibledb: database nope-db does not exist \(create it with `impossibledb databases create nope-db`/);
    const json = await cli(["--database", "nope-db", "collections", "--json"]);
    expect(JSON.parse(json.stderr)).toEqual({
      code: "not_found",
      message: "database nope-db does not exist",
      hint: "create it with `impossibledb databases create nope-db`, or leave out --database and IMPOSSIBLEDB_DATABASE to use the database default",
      exit_code: 1,
    });
    for (const r of [ran, fromEnvironment, json]) expect(r.stderr).not.toMatch(/AdminService|header/);
  });

  it("being deleted is told how to finish the delete", async () => {
    const ran = await cli(["--database", "going", "get", "books", "b1"]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe("impossibledb: database going is being deleted (run `impossibledb databases delete going` to finish deleting it, then `impossibledb databases create going` to make it again)\n");
  });

  it("leaves a document that does not exist as it was", async () => {
    const ran = await cli(["get", "books", "b1"]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe("impossibledb: document books/b1 does not exist\n");
  });
});

describe("repeated options", () => {
  it("--text given twice keeps both lists of fields (a second --text used to replace the first)", { timeout: RUN_TIMEOUT_MS }, async () => {
    const ran = await cli(["search-index", "create", "books", "--text", "title:2", "--text", "body"]);
    expect(ran.code).toBe(0);
    expect(created.at(-1)).toEqual(["title:2", "body:1"]);
  });

  it("a backquoted field name may hold a \":\"; its weight follows the last one outside the backquotes", { timeout: RUN_TIMEOUT_MS }, async () => {
    const ran = await cli(["search-index", "create", "books", "--text", "`a:b`:2"]);
    expect(ran.code).toBe(0);
    expect(created.at(-1)).toEqual(["`a:b`:2"]);
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

describe("names the server would refuse exit 2, naming the argument, with nothing sent", { timeout: RUN_TIMEOUT_MS }, () => {
  // They used to reach the server and exit 1 with its INVALID_ARGUMENT.
  const refused: ReadonlyArray<[string[], RegExp]> = [
    [["--database", "Bad_ID", "get", "books", "b1"], /option '--database <id>' argument 'Bad_ID' is invalid\. "Bad_ID" is not a database id: 1 to 63 characters, a lowercase letter first/],
    [["--database", "", "collections"], /option '--database <id>' argument '' is invalid\. "" is not a database id/],
    [["put", "cli", "bad/id", "{}"], /argument 'id'\. document id "bad\/id" may hold only letters, digits and "_ \. : @ \+ = ~ -", and may not start with "\."/],
    [["put", "cli", "x".repeat(257), "{}"], /argument 'id'\. the document id is 257 characters, over 256/],
    // It was stored as 0.
    [["put", "cli", "u2", '{"a": 1e-400}'], /^impossibledb: the document: 1e-400 is a number too small for a double \(the least is about 5e-324\): it would be stored as 0; quote it to store it as a string\n$/],
    [["get", "books", ".hidden"], /argument 'id'\. document id "\.hidden" may hold only/],
    [["get", "bad name", "b1"], /argument 'collection'\. collection name "bad name" must be a letter or "_" followed by/],
    [["add", "9lives", "{}"], /argument 'collection'\. collection name "9lives" must be/],
    [["delete", "books", "a b"], /argument 'id'\. document id "a b"/],
    [["delete", "__system", "--all"], /argument 'collection'\. collection name "__system" is reserved/],
    [["query", "c".repeat(129)], /argument 'collection'\. the collection name is 129 characters, over 128/],
    [["export", "books.old"], /argument 'collection'\. collection name "books\.old" must be/],
    [["import", "bad name", "books.ndjson"], /argument 'collection'\. collection name "bad name"/],
    [["indexes", "list", ""], /argument 'collection'\. the collection name is empty/],
    [["indexes", "create", "bad/coll", "year"], /argument 'collection'/],
    [["indexes", "create", "books", ":desc"], /^impossibledb: index field ":desc": the field name is empty; expected FIELD or FIELD:asc or FIELD:desc\n$/],
    [["indexes", "drop", "books", ""], /argument 'id'\. the index id is empty/],
    [["search-index", "create", "bad name", "--geo", "loc"], /argument 'collection'/],
    [["search-index", "create", "books", "--geo", ""], /--geo "": the geo field name is empty/],
    [["search-index", "create", "books", "--text", "title", "--geo", " "], /--geo " ": the geo field name is empty/],
    [["import", "books", "books.csv", "--id-column", ""], /--id-column "": the column name is empty/],
    [["import", "books", ""], /the file argument "" is empty/],
    [["export", "books", "--out", ""], /--out "": the value is empty/],
    [["export", "books", "--checkpoint", ""], /--checkpoint "": the value is empty/],
    [["export", "books", "--resume-token", " "], /--resume-token " ": the value is empty/],
    [["databases", "create", "ok41", "--location-hint", ""], /--location-hint "": the value is empty/],
    [["databases", "create", "ok41", "--jurisdiction", ""], /--jurisdiction "": the value is empty/],
    [["databases", "create", "ok41", "--location-hint", "weur", "--jurisdiction", "eu"], /give --location-hint or --jurisdiction, not both/],
    [["reshard", "12", "--interval-ms", "60001"], /option '--interval-ms <ms>' argument '60001' is invalid\. expected a whole number from 1 to 60000/],
    [["search-index", "get", "__x"], /argument 'collection'\. collection name "__x" is reserved/],
    [["search-index", "drop", "a/b"], /argument 'collection'/],
    [["databases", "create", "Not_Valid"], /argument 'id'\. "Not_Valid" is not a database id/],
    [["databases", "get", "9db"], /argument 'id'\. "9db" is not a database id/],
    [["databases", "delete", "d".repeat(64)], /argument 'id'\. "d{64}" is not a database id: 1 to 63 characters/],
  ];
  for (const [args, why] of refused) {
    it(args.join(" ").slice(0, 80), async () => {
      const before = seen.length;
      const ran = await cli(args);
      expect(ran.stderr).toMatch(why);
      // One line, as docs/cli.md says (commander printed the whole help after it).
      expect(ran.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(ran.code).toBe(2);
      expect(seen.length, "nothing was sent").toBe(before);
    });
  }

  it("a bad IMPOSSIBLEDB_DATABASE exits 2 naming the variable; with --json the refusal is code usage", async () => {
    const before = seen.length;
    const ran = await cli(["get", "books", "b1"], { IMPOSSIBLEDB_DATABASE: "Bad_ID" });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe(`impossibledb: IMPOSSIBLEDB_DATABASE: "Bad_ID" is not a database id: 1 to 63 characters, a lowercase letter first, then lowercase letters, digits or '-'\n`);
    const json = await cli(["--database", "Bad_ID", "query", "books", "--json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ code: "usage", exit_code: 2, message: expect.stringMatching(/^option '--database <id>' argument 'Bad_ID' is invalid/) });
    expect(seen.length, "nothing was sent").toBe(before);
  });
});

describe("export --resume-token", { timeout: RUN_TIMEOUT_MS }, () => {
  it("a token the server refuses exits 2 naming --resume-token, and creates no --out file", async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "impossibledb-cli-export-")), "books.ndjson");
    const ran = await cli(["export", "books", "--resume-token", "garbage", "--out", out]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/--resume-token is not a token an export of books in database default printed \(the server says: page_token is not a page token ImpossibleDB issued\); nothing was written/);
    expect(existsSync(out), "no empty file left behind").toBe(false);
    // Without a token the same export writes the file.
    const plain = await cli(["export", "books", "--out", out]);
    expect(plain.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe('{"id":"b1","data":{"title":"One"}}\n');
  });
});

describe("query --select", { timeout: RUN_TIMEOUT_MS }, () => {
  it("an empty field path exits 2, naming --select, with nothing sent (--select '' returned every document with empty data)", async () => {
    for (const select of ["", " ", "title,", "title,,year"]) {
      const before = seen.length;
      const ran = await cli(["query", "books", "--select", select]);
      expect(ran.code, select).toBe(2);
      expect(ran.stderr).toBe(`impossibledb: --select ${JSON.stringify(select)}: a field path is empty; give FIELD or FIELD.PATH, comma-separated\n`);
      expect(seen.length, "nothing was sent").toBe(before);
    }
  });
});

describe("import records with \"data\" and \"fields\"", { timeout: RUN_TIMEOUT_MS }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "impossibledb-cli-refusals-"));
  const file = (name: string, lines: unknown[]) => {
    const at = path.join(dir, name);
    writeFileSync(at, lines.map((l) => JSON.stringify(l) + "\n").join(""));
    return at;
  };

  it("a record whose two forms disagree exits 2 naming its line, and nothing is written (its \"data\" was dropped for an empty \"fields\")", async () => {
    const bad = file("both.ndjson", [{ id: "ok", data: { a: 1 } }, { id: "e3", fields: {}, data: { a: 1 } }]);
    const before = seen.length;
    const ran = await cli(["import", "cli", bad]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:2: "data" and "fields" disagree at "a": "data" has 1 and "fields" has no such member; give the document once`));
    expect(ran.stderr).toMatch(/1 bad record; nothing was written\n$/);
    expect(seen.length, "nothing was sent").toBe(before);
  });

  it("an empty \"fields\" alone writes an empty document; both forms as export writes them write the typed form", async () => {
    const good = file("good.ndjson", [
      { id: "e4", fields: {} },
      { id: "o1", data: { orderId: 9007199254740992, placedAt: "2026-11-30T15:04:05.123456Z" }, fields: { orderId: { integerValue: "9007199254740993" }, placedAt: { timestampValue: "2026-11-30T15:04:05.123456Z" } } },
    ]);
    const before = written.length;
    const ran = await cli(["import", "cli", good]);
    expect(ran.stderr).toBe("");
    expect(ran.code).toBe(0);
    expect(written.slice(before)).toEqual([
      { ref: { collection: "cli", id: "e4" }, set: {} },
      { ref: { collection: "cli", id: "o1" }, setFields: { fields: { orderId: { integerValue: "9007199254740993" }, placedAt: { timestampValue: "2026-11-30T15:04:05.123456Z" } } } },
    ]);
  });
});

describe("import of a CSV file with bad records", { timeout: RUN_TIMEOUT_MS }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "impossibledb-cli-csv-"));

  it("lists every bad record at its line, the unclosed quote at the line its cell starts on, and writes nothing (the unclosed quote was the only one named)", async () => {
    const file = path.join(dir, "bad.csv");
    writeFileSync(file, 'id,n,note\nok1,1,fine\nbad2,1e400,x\nok3,2,"two\nlines"\nbad5,x"y,z\nok6,3,"open\nok7,4,fine\n');
    const before = { seen: seen.length, written: written.length };
    const ran = await cli(["import", "cli", file]);
    expect(ran.code).toBe(2);
    const lines = ran.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain(`${file}:3: column "n": 1e400 is a number beyond what a double holds`);
    expect(lines[1]).toContain(`${file}:6: a quote inside an unquoted cell`);
    expect(lines[2]).toContain(`${file}:7: a quoted cell starts here and is not closed`);
    expect(lines[3]).toBe(`impossibledb: ${file}: 3 bad records; nothing was written`);
    expect(seen.length, "nothing was sent").toBe(before.seen);
    expect(written.length).toBe(before.written);
  });
});

describe("export --checkpoint", { timeout: RUN_TIMEOUT_MS }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "impossibledb-cli-checkpoint-"));

  it("resumed with another --out exits 2 naming both files, and sends nothing (it wrote only the rest into the new file)", async () => {
    const checkpoint = path.join(dir, "books.checkpoint");
    const first = path.join(dir, "first.ndjson");
    writeFileSync(first, '{"id":"b0","data":{}}\n');
    writeFileSync(checkpoint, JSON.stringify({ collection: "books", pageToken: "p2", documents: 1, outBytes: 22, out: first }));
    const before = seen.length;
    const ran = await cli(["export", "books", "--checkpoint", checkpoint, "--out", path.join(dir, "second.ndjson")]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(`${checkpoint} is the checkpoint of an export to ${first}, not ${path.join(dir, "second.ndjson")}`);
    expect(ran.stderr).toContain(`give --out ${first}`);
    expect(existsSync(path.join(dir, "second.ndjson"))).toBe(false);
    expect(seen.length, "nothing was sent").toBe(before);
  });

  it("resumed after its --out was removed or cut short exits 2 and writes nothing (it wrote only the rest, or padded the file with zeros, and exited 0)", async () => {
    const checkpoint = path.join(dir, "cut.checkpoint");
    const out = path.join(dir, "cut.ndjson");
    writeFileSync(checkpoint, JSON.stringify({ collection: "books", pageToken: "p2", documents: 2, outBytes: 44, out }));
    const before = seen.length;
    let ran = await cli(["export", "books", "--checkpoint", checkpoint, "--out", out]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(`${out} does not exist, but the checkpoint ${checkpoint} counts 44 bytes`);
    expect(existsSync(out)).toBe(false);
    writeFileSync(out, '{"id":"b0","data":{}}\n');
    ran = await cli(["export", "books", "--checkpoint", checkpoint, "--out", out]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(`${out} holds 22 bytes, but the checkpoint ${checkpoint} counts 44 bytes`);
    expect(readFileSync(out, "utf8")).toBe('{"id":"b0","data":{}}\n');
    expect(seen.length, "nothing was sent").toBe(before);
  });

  it("written for another database, collection or server exits 2 naming what it was written for and what the run asks, and sends and writes nothing (it blamed the token)", async () => {
    const out = path.join(dir, "elsewhere.ndjson");
    writeFileSync(out, '{"id":"b0","data":{}}\n');
    const checkpoint = path.join(dir, "elsewhere.checkpoint");
    writeFileSync(checkpoint, JSON.stringify({ collection: "books", database: "shop", server: `${url}/`, pageToken: "p2", documents: 1, outBytes: 22, out }));
    const cases: Array<[string[], string]> = [
      [["--database", "other"], `is the checkpoint of an export of collection books in database shop on ${url}/, and this run asks for collection books in database other on ${url}/: to resume it, run with --database shop`],
      [[], `and this run asks for collection books in database default on ${url}/: to resume it, run with --database shop`],
      [["--database", "shop", "--url", "http://127.0.0.1:1"], `and this run asks for collection books in database shop on http://127.0.0.1:1/: to resume it, run with --url ${url}/`],
    ];
    for (const [options, message] of cases) {
      const before = seen.length;
      const ran = await cli([...options, "export", "books", "--checkpoint", checkpoint, "--out", out]);
      expect(ran.code, options.join(" ")).toBe(2);
      expect(ran.stderr).toContain(`impossibledb: ${checkpoint} `);
      expect(ran.stderr).toContain(message);
      expect(ran.stderr).toContain("or remove the checkpoint to export from the start; nothing was written");
      expect(seen.length, "nothing was sent").toBe(before);
    }
    const ran = await cli(["--database", "shop", "export", "magazines", "--checkpoint", checkpoint, "--out", out]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain("and this run asks for collection magazines in database shop");
    expect(ran.stderr).toContain("run with export books");
    expect(readFileSync(out, "utf8")).toBe('{"id":"b0","data":{}}\n');
  });

  it("saved by an interrupted export records its database and server, and a resume against another database is refused", async () => {
    // Its own collection, so the Ctrl-C cases below, which wait for "slow p2", are not told it came already.
    const checkpoint = path.join(dir, "slowcp.checkpoint");
    const out = path.join(dir, "slowcp.ndjson");
    const ran = await cli(["--database", "shop", "export", "slowcp", "--checkpoint", checkpoint, "--out", out], {}, () => listed.includes("slowcp p2"));
    expect(ran.code).toBe(130);
    expect(JSON.parse(readFileSync(checkpoint, "utf8"))).toMatchObject({ collection: "slowcp", database: "shop", server: `${url}/` });
    const again = await cli(["export", "slowcp", "--checkpoint", checkpoint, "--out", out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`in database shop on ${url}/, and this run asks for collection slowcp in database default on ${url}/: to resume it, run with --database shop`);
  });

  it("with --resume-token exits 2 saying the two cannot be combined, whether or not the checkpoint exists", async () => {
    for (const checkpoint of [path.join(dir, "missing.checkpoint"), path.join(dir, "books.checkpoint")]) {
      const ran = await cli(["export", "books", "--checkpoint", checkpoint, "--resume-token", "p2"]);
      expect(ran.code).toBe(2);
      expect(ran.stderr).toMatch(/^impossibledb: --checkpoint and --resume-token cannot be combined/);
    }
  });
});

describe("Ctrl-C", { timeout: RUN_TIMEOUT_MS }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "impossibledb-cli-interrupt-"));

  it("during an export exits 130 saying how many documents were written and how to resume", async () => {
    const out = path.join(dir, "slow.ndjson");
    const ran = await cli(["export", "slow", "--out", out], {}, () => listed.includes("slow p2"));
    expect(ran.code).toBe(130);
    expect(ran.stderr).toContain("impossibledb: to resume, run: impossibledb export slow --resume-token p3");
    expect(ran.stderr).toContain(`export interrupted after 2 documents written to ${out}`);
    expect(readFileSync(out, "utf8").split("\n").filter(Boolean)).toHaveLength(2);
  });

  it("during the last page of an export exits 130 saying it was complete (it exited 130 silently)", async () => {
    const out = path.join(dir, "last.ndjson");
    const asked = () => listed.filter((l) => l === "slow p3").length;
    const before = asked();
    const ran = await cli(["export", "slow", "--out", out, "--resume-token", "p3"], {}, () => asked() > before);
    expect(ran.code).toBe(130);
    expect(ran.stderr).toContain(`exported 1 document of slow to ${out}; the export was complete when Ctrl-C came, so there is nothing to resume`);
  });

  it("during an import exits 130 saying how many documents were written from which lines, and how to finish", async () => {
    const file = path.join(dir, "slow.ndjson");
    writeFileSync(file, ["a", "b", "c"].map((id) => JSON.stringify({ id, data: {} }) + "\n").join(""));
    const before = written.length;
    const ran = await cli(["import", "slow", file, "--batch-size", "1"], {}, () => seen.length > 0 && seen.at(-1)!.includes("BatchWriteDocuments"));
    expect(ran.code).toBe(130);
    expect(ran.stderr).toContain(`import interrupted: 1 document of 3 written to slow, from the records up to ${file}:1; to finish, run the same import again`);
    expect(written.length - before).toBe(1);
  });
});

describe("Ctrl-C while following a resharding", { timeout: RUN_TIMEOUT_MS }, () => {
  const polls = () => seen.filter((p) => p.includes("GetResharding")).length;

  it("reshard --wait stops waiting at once, exits 130, and says the resharding goes on and how to watch or cancel it (Node exited silently)", async () => {
    const before = polls();
    const started = Date.now();
    // A long interval: the wait must end at Ctrl-C, not at the next poll.
    const ran = await cli(["--database", "shop", "reshard", "9", "--wait", "--interval-ms", "60000"], {}, () => polls() > before);
    expect(ran.code).toBe(130);
    expect(Date.now() - started).toBeLessThan(RUN_TIMEOUT_MS / 2);
    expect(ran.stderr).toContain("resharding op-9: 8 -> 9 shards\n");
    expect(ran.stderr).toContain(
      "impossibledb: stopped waiting: resharding op-9 goes on in the server; watch it with `impossibledb --database shop resharding`, or cancel it with `impossibledb --database shop resharding cancel`\n",
    );
  });

  // Before, Ctrl-C during the StartResharding call itself exited 130 with
  // nothing said, though the server may have started the resharding.
  for (const wait of [[], ["--wait"]]) {
    it(`${["reshard", ...wait].join(" ")}: Ctrl-C while StartResharding is in flight exits 130 saying it may have started and how to check`, async () => {
      const before = slowStarts;
      const started = Date.now();
      const ran = await cli(["--database", "shop", "reshard", "11", ...wait], {}, () => slowStarts > before);
      expect(ran.code).toBe(130);
      expect(Date.now() - started).toBeLessThan(RUN_TIMEOUT_MS / 2);
      expect(ran.stderr).toBe(
        "impossibledb: interrupted while starting: a resharding to 11 shards may have started in the server; check with `impossibledb --database shop resharding`, and if it did, follow it there or cancel it with `impossibledb --database shop resharding cancel`\n",
      );
    });
  }

  it("resharding cancel --wait stops waiting at once, exits 130, and says the rollback goes on", async () => {
    const before = polls();
    const ran = await cli(["--database", "rolling", "resharding", "cancel", "--wait", "--interval-ms", "60000"], {}, () => polls() > before);
    expect(ran.code).toBe(130);
    expect(ran.stderr).toBe("impossibledb: stopped waiting: the rollback of resharding op-9 goes on in the server; watch it with `impossibledb --database rolling resharding`\n");
  });
});

describe("import refusals name the file's lines, not writes[i]", { timeout: RUN_TIMEOUT_MS }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), "impossibledb-cli-lines-"));

  it("a batch the server refuses for one write names that record's file and line", async () => {
    const file = path.join(dir, "refused.ndjson");
    writeFileSync(file, ["ok1", "ok2", "refused3"].map((id) => JSON.stringify({ id, data: {} }) + "\n").join(""));
    const ran = await cli(["import", "cli", file]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`impossibledb: ${file}:3: InvalidArgument: the record at ${file}:3: the value is refused (so the batch of 3 records from ${file}:1 was not written; 0 documents written before it)`);
    expect(ran.stderr).not.toMatch(/writes\[/);
  });

  it("a write that fails on its own is listed at its line, its message naming the line too", async () => {
    const file = path.join(dir, "failing.ndjson");
    writeFileSync(file, ["ok1", "failing2"].map((id) => JSON.stringify({ id, data: {} }) + "\n").join(""));
    const ran = await cli(["import", "cli", file]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`${file}:2: FailedPrecondition: the record at ${file}:2 failed its precondition`);
    expect(ran.stderr).not.toMatch(/writes\[/);
  });
});

describe("help", { timeout: RUN_TIMEOUT_MS }, () => {
  it("help databases create shows the subcommand's help (it showed databases')", async () => {
    const ran = await cli(["help", "databases", "create"]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/^Usage: impossibledb databases create \[options\] <id>/);
  });

  it("help of a command that does not exist exits 2 naming it and the commands there are", async () => {
    const ran = await cli(["help", "databases", "nope"]);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toBe("impossibledb: help: databases nope is not a command (subcommands of databases: list, create, get, delete)\n");
  });
});
