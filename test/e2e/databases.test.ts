/**
 * Databases end to end against the local server: the TypeScript SDK's
 * `database` option, the header through the gRPC front door, and the CLI's
 * `--database` / IMPOSSIBLEDB_DATABASE and `databases` commands.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { ImpossibleDBClient } from "../../clients/ts/src/node.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { grpcTarget, uniqueCollection, workerUrl } from "./env.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(ROOT, "node_modules", ".bin", "impossibledb");
const RUN = uniqueCollection("db").replace(/_/g, "-").toLowerCase();
const [first, second, viaCli] = [`${RUN}-a`, `${RUN}-b`, `${RUN}-cli`];
const admin = new ImpossibleDBClient({ baseUrl: workerUrl() }).services.admin;

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { cwd: ROOT, env: { ...process.env, IMPOSSIBLEDB_URL: workerUrl(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

afterAll(async () => {
  for (const id of [first, second, viaCli]) await admin.deleteDatabase({ name: `databases/${id}` }).catch(() => undefined);
});

describe("databases", () => {
  it("the SDK's database option keeps two databases' same-named collections apart", async () => {
    await admin.createDatabase({ databaseId: first });
    await admin.createDatabase({ databaseId: second });
    const a = new ImpossibleDBClient({ baseUrl: workerUrl(), database: first });
    const b = new ImpossibleDBClient({ baseUrl: workerUrl(), database: second });
    await a.collection("users").put("alice", { in: first });
    await b.collection("users").put("alice", { in: second });
    expect((await a.collection("users").get("alice"))?.data).toEqual({ in: first });
    expect((await b.collection("users").get("alice"))?.data).toEqual({ in: second });
    expect(await new ImpossibleDBClient({ baseUrl: workerUrl() }).collection("users").get("alice")).toBeNull();
    // A database that does not exist is not a missing document: get throws.
    await expect(new ImpossibleDBClient({ baseUrl: workerUrl(), database: `${RUN}-none` }).collection("users").get("alice")).rejects.toThrow(/database .* does not exist/);

    // The header is gRPC metadata through the front door.
    const overGrpc = createClient(CollectionService, createGrpcTransport({ baseUrl: `http://${grpcTarget()}` }));
    const read = await overGrpc.getDocument({ ref: { collection: "users", id: "alice" } }, { headers: { "impossibledb-database": second } });
    expect(read.document?.data).toEqual({ in: second });
    const missing = await overGrpc.getDocument({ ref: { collection: "users", id: "alice" } }, { headers: { "impossibledb-database": `${RUN}-none` } }).catch((e: unknown) => e);
    expect(ConnectError.from(missing).code).toBe(Code.NotFound);
    expect(ConnectError.from(missing).rawMessage).toMatch(/database .* does not exist/);
  });

  it("the CLI creates, lists, shows and deletes databases, and --database / IMPOSSIBLEDB_DATABASE choose one", async () => {
    const created = await cli(["databases", "create", viaCli, "--location-hint", "weur", "--json"]);
    expect(created.stderr).toBe("");
    expect(JSON.parse(created.stdout)).toMatchObject({ name: `databases/${viaCli}`, locationHint: "weur", state: "ACTIVE" });
    expect((await cli(["databases", "list"])).stdout).toContain(`databases/${viaCli}`);
    expect(JSON.parse((await cli(["databases", "get", viaCli, "--json"])).stdout)).toMatchObject({ locationHint: "weur" });

    expect((await cli(["--database", viaCli, "put", "notes", "n1", '{"text":"hi"}'])).code).toBe(0);
    const viaEnv = await cli(["get", "notes", "n1"], { IMPOSSIBLEDB_DATABASE: viaCli });
    expect(JSON.parse(viaEnv.stdout).data).toEqual({ text: "hi" });
    expect((await cli(["get", "notes", "n1"])).code).not.toBe(0);

    expect((await cli(["databases", "delete", viaCli])).stdout).toContain(`deleted database ${viaCli}`);
    const gone = await cli(["--database", viaCli, "put", "notes", "n2", "{}"]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/not_found|does not exist/i);
    // Refused before anything is sent: a bad argument, exit 2.
    const bad = await cli(["databases", "create", "Not_Valid"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a database id/);
  });
});
