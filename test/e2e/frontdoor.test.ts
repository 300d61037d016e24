/**
 * The gRPC front door in front of the real Worker: a gRPC client (the
 * application/grpc protocol over h2c) gets the same answers, errors and
 * streams as a Connect client talking to the Worker directly, and
 * `buf curl` finds every service through reflection alone.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { describe, expect, it } from "vitest";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { ValueSchema } from "../../gen/impossibledb/v1/document_pb.js";
import { FieldFilter_Operator } from "../../gen/impossibledb/v1/query_pb.js";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Health, HealthCheckResponse_ServingStatus } from "../../frontdoor/gen/grpc/health/v1/health_pb.js";
import { grpcTarget, uniqueCollection, workerUrl } from "./env.js";

const run = promisify(execFile);

const grpc = createGrpcTransport({ baseUrl: `http://${grpcTarget()}` });
const direct = createConnectTransport({ baseUrl: workerUrl(), httpVersion: "1.1" });
const viaGrpc = createClient(CollectionService, grpc);
const viaConnect = createClient(CollectionService, direct);

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call succeeded; it should have failed");
}

describe("gRPC through the front door", () => {
  const users = uniqueCollection("frontdoor");

  it("writes over gRPC what Connect reads from the Worker, and the other way round", async () => {
    const written = await viaGrpc.setDocument({ ref: { collection: users, id: "alice" }, data: { name: "Alice", age: 30 } });
    expect(written.document?.version).toBeGreaterThan(0n);
    const read = await viaConnect.getDocument({ ref: { collection: users, id: "alice" } });
    expect(read.document?.data).toEqual({ name: "Alice", age: 30 });
    expect(read.document?.version).toBe(written.document?.version);

    await viaConnect.updateDocument({ ref: { collection: users, id: "alice" }, patch: { data: { age: 31 }, updateMask: { fieldPaths: ["age"] } } });
    const again = await viaGrpc.getDocument({ ref: { collection: users, id: "alice" } });
    expect(again.document?.data).toEqual({ name: "Alice", age: 31 });
  });

  it("carries typed values exactly over gRPC: int64 edges, microsecond timestamps, bytes, references, geo points", async () => {
    const v = (kind: NonNullable<MessageInitShape<typeof ValueSchema>["kind"]>) => create(ValueSchema, { kind } as MessageInitShape<typeof ValueSchema>);
    const fields = {
      max: v({ case: "integerValue", value: 2n ** 63n - 1n }),
      min: v({ case: "integerValue", value: -(2n ** 63n) }),
      at: v({ case: "timestampValue", value: { seconds: -1n, nanos: 999_999_000 } }),
      blob: v({ case: "bytesValue", value: new Uint8Array([0, 255]) }),
      owner: v({ case: "referenceValue", value: { collection: users, id: "alice" } }),
      where: v({ case: "geoPointValue", value: { latitude: 90, longitude: -180 } }),
      nested: v({ case: "arrayValue", value: { values: [v({ case: "mapValue", value: { fields: { n: v({ case: "integerValue", value: 9007199254740993n }) } } })] } }),
    };
    await viaGrpc.setDocument({ ref: { collection: users, id: "typed" }, fields });
    expect((await viaConnect.getDocument({ ref: { collection: users, id: "typed" } })).document?.fields).toEqual(fields);
    expect((await viaGrpc.getDocument({ ref: { collection: users, id: "typed" } })).document?.fields).toEqual(fields);
    // A typed filter over gRPC finds it by the exact integer.
    const found = await createClient(QueryService, grpc).runQuery({
      query: { collection: users, where: { filterType: { case: "fieldFilter", value: { field: "max", op: FieldFilter_Operator.EQUAL, typedValue: fields.max } } } },
    });
    expect(found.documents.map((d) => d.id)).toEqual(["typed"]);
  });

  it("passes the Worker's error codes and messages through unchanged", async () => {
    const cases = [
      (c: typeof viaGrpc) => c.getDocument({ ref: { collection: users, id: "nobody" } }),
      (c: typeof viaGrpc) => c.getDocument({ ref: { collection: "9bad", id: "x" } }),
      (c: typeof viaGrpc) => c.deleteDocument({ ref: { collection: users, id: "alice" }, precondition: { condition: { case: "version", value: 999_999n } } }),
    ];
    const expected = [Code.NotFound, Code.InvalidArgument, Code.FailedPrecondition];
    for (const [i, call] of cases.entries()) {
      const viaFrontDoor = await failure(call(viaGrpc));
      const fromWorker = await failure(call(viaConnect));
      expect(viaFrontDoor.code).toBe(expected[i]);
      expect(viaFrontDoor.code).toBe(fromWorker.code);
      expect(viaFrontDoor.rawMessage).toBe(fromWorker.rawMessage);
      expect(viaFrontDoor.details.map((d) => ("type" in d ? d.type : d.desc.typeName))).toEqual(
        fromWorker.details.map((d) => ("type" in d ? d.type : d.desc.typeName)),
      );
    }
    const created = await failure(viaGrpc.createDocument({ ref: { collection: users, id: "alice" }, data: { name: "Eve" } }));
    expect(created.code).toBe(Code.AlreadyExists);
    // The failed create changed nothing.
    const still = await viaGrpc.getDocument({ ref: { collection: users, id: "alice" } });
    expect(still.document?.data).toEqual({ name: "Alice", age: 31 });
  });

  it("streams every exported document, in order", async () => {
    const books = uniqueCollection("frontdoor_stream");
    const ids = Array.from({ length: 25 }, (_, i) => `b${String(i).padStart(2, "0")}`);
    await viaGrpc.batchWriteDocuments({ writes: ids.map((id) => ({ ref: { collection: books, id }, operation: { case: "set", value: { n: id } } })) });
    const seen: string[] = [];
    let messages = 0;
    for await (const msg of createClient(AdminService, grpc).exportDocuments({ collection: books, batchSize: 10 })) {
      messages += 1;
      seen.push(...msg.documents.map((d) => d.id));
    }
    expect(seen).toEqual(ids);
    expect(messages).toBe(3);
  });

  it("streams a query over gRPC with the same documents RunQuery returns over Connect", async () => {
    const scores = uniqueCollection("frontdoor_query");
    await viaConnect.batchWriteDocuments({
      writes: [5, 40, 12, 33, 27].map((score, i) => ({ ref: { collection: scores, id: `s${i}` }, operation: { case: "set", value: { score } } })),
    });
    const query = { collection: scores, filter: "score > 10", orderBy: [{ field: "score" }] };
    const streamed: string[] = [];
    for await (const msg of createClient(QueryService, grpc).streamQuery({ query })) {
      if (msg.result.case === "document") streamed.push(msg.result.value.id);
    }
    const ran = await createClient(QueryService, direct).runQuery({ query });
    expect(streamed).toEqual(["s2", "s4", "s3", "s1"]);
    expect(ran.documents.map((d) => d.id)).toEqual(streamed);
  });

  it("answers a batch write of six 1 MB documents within a default gRPC client's 4 MiB, and streams them back in messages that fit", async () => {
    // connect-node accepts any size by default; grpc-go, grpcio and buf curl
    // stop at 4 MiB. This client stops there too.
    const strict = createGrpcTransport({ baseUrl: `http://${grpcTarget()}`, readMaxBytes: 4 * 1024 * 1024 });
    const large = uniqueCollection("frontdoor_large");
    const ids = Array.from({ length: 6 }, (_, i) => `d${i}`);
    const blob = (i: number) => `${i}`.padEnd(1_000_000, "x");
    const written = await createClient(CollectionService, strict).batchWriteDocuments({
      writes: ids.map((id, i) => ({ ref: { collection: large, id }, operation: { case: "set", value: { i, blob: blob(i) } } })),
    });
    expect(written.statuses.map((s) => s.code)).toEqual(ids.map(() => 0));
    expect(written.results.map((r) => [r.ref?.id, r.version > 0n, r.document])).toEqual(ids.map((id) => [id, true, undefined]));
    const exported: string[] = [];
    for await (const msg of createClient(AdminService, strict).exportDocuments({ collection: large, batchSize: 1000 })) {
      exported.push(...msg.documents.map((d) => `${d.id}@${d.version}:${(d.data?.["blob"] as string).length}`));
    }
    expect(exported).toEqual(written.results.map((r) => `${r.ref?.id}@${r.version}:1000000`));
  });

  it("answers health checks while the Worker is up", async () => {
    const health = createClient(Health, grpc);
    expect((await health.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await health.check({ service: "impossibledb.v1.CollectionService" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await failure(health.check({ service: "no.such.Service" }))).code).toBe(Code.NotFound);
  });

  it("lets buf curl list and call the services through reflection", async () => {
    const base = `http://${grpcTarget()}`;
    const flags = ["buf", "curl", "--reflect", "--protocol", "grpc", "--http2-prior-knowledge"];
    const listed = await run("npx", [...flags, base, "--list-services"]);
    expect(listed.stdout.split("\n").filter((l) => l !== "").sort()).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "impossibledb.v1.AdminService",
      "impossibledb.v1.CollectionService",
      "impossibledb.v1.QueryService",
      "impossibledb.v1.TransactionService",
    ]);
    const got = await run("npx", [...flags, "-d", JSON.stringify({ ref: { collection: users, id: "alice" } }), `${base}/impossibledb.v1.CollectionService/GetDocument`]);
    expect(JSON.parse(got.stdout).document.data).toEqual({ name: "Alice", age: 31 });
    const methods = await run("npx", [...flags, base, "--list-methods"]);
    expect(methods.stdout).toContain("impossibledb.v1.QueryService/StreamQuery");
  });
});
