/**
 * The front door's own services: grpc.health.v1 follows the Worker's state,
 * and server reflection (v1 and v1alpha) describes every served service
 * with all the files a client needs to call it.
 */
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../../frontdoor/gen/grpc/health/v1/health_pb.js";
import { ServerReflection as V1, type ServerReflectionResponse } from "../../../frontdoor/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as V1Alpha } from "../../../frontdoor/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { startRig, type Rig } from "./fake-worker.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call succeeded; it should have failed");
}

describe("health", () => {
  it("reports SERVING while the Worker answers and NOT_SERVING while it does not", async () => {
    let up = true;
    rig = await startRig({}, { probe: async () => up, watchIntervalMs: 20 });
    const health = createClient(Health, rig.grpc);
    expect((await health.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await health.check({ service: "impossibledb.v1.QueryService" })).status).toBe(Status.SERVING);
    up = false;
    expect((await health.check({ service: "" })).status).toBe(Status.NOT_SERVING);
    expect((await failure(health.check({ service: "impossibledb.v1.Nope" }))).code).toBe(Code.NotFound);
    const listed = await health.list({});
    expect(listed.statuses["impossibledb.v1.CollectionService"]?.status).toBe(Status.NOT_SERVING);
  });

  it("Watch sends the status, then each change", async () => {
    let up = true;
    rig = await startRig({}, { probe: async () => up, watchIntervalMs: 20 });
    const controller = new AbortController();
    const seen: Status[] = [];
    const stream = createClient(Health, rig.grpc).watch({ service: "" }, { signal: controller.signal });
    try {
      for await (const msg of stream) {
        seen.push(msg.status);
        if (seen.length === 1) up = false;
        if (seen.length === 2) up = true;
        if (seen.length === 3) break;
      }
    } finally {
      controller.abort();
    }
    expect(seen).toEqual([Status.SERVING, Status.NOT_SERVING, Status.SERVING]);
  });

  it("Watch of an unknown service answers SERVICE_UNKNOWN", async () => {
    rig = await startRig({}, { probe: async () => true, watchIntervalMs: 20 });
    const seen: Status[] = [];
    for await (const msg of createClient(Health, rig.grpc).watch({ service: "no.Such" })) seen.push(msg.status);
    expect(seen).toEqual([Status.SERVICE_UNKNOWN]);
  });
});

/** Sends `requests` on one v1 reflection stream and collects the answers. */
async function reflect(transport: Transport, requests: Parameters<ReturnType<typeof createClient<typeof V1>>["serverReflectionInfo"]>[0]) {
  const out: ServerReflectionResponse[] = [];
  for await (const res of createClient(V1, transport).serverReflectionInfo(requests)) out.push(res);
  return out;
}

/** The files ordered so that each comes after the files it imports. */
function dependenciesFirst(files: FileDescriptorProto[]): FileDescriptorProto[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  const out: FileDescriptorProto[] = [];
  const visit = (f: FileDescriptorProto): void => {
    if (out.includes(f)) return;
    f.dependency.forEach((d) => {
      const dep = byName.get(d);
      if (dep === undefined) throw new Error(`${f.name} imports ${d}, which the answer lacks`);
      visit(dep);
    });
    out.push(f);
  };
  files.forEach(visit);
  return out;
}

async function* of<T>(...items: T[]): AsyncIterable<T> {
  yield* items;
}

describe("server reflection", () => {
  it("lists every served service", async () => {
    rig = await startRig({});
    const [res] = await reflect(rig.grpc, of({ messageRequest: { case: "listServices", value: "" } }));
    expect(res?.messageResponse.case).toBe("listServicesResponse");
    const names = res?.messageResponse.case === "listServicesResponse" ? res.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "impossibledb.v1.AdminService",
      "impossibledb.v1.CollectionService",
      "impossibledb.v1.QueryService",
      "impossibledb.v1.TransactionService",
    ]);
  });

  it("answers each request while the caller's request stream stays open, as buf curl and grpcurl keep it", async () => {
    rig = await startRig({});
    let answered!: () => void;
    const firstAnswer = new Promise<void>((resolve) => (answered = resolve));
    // The next request is sent only after the first answer arrives.
    async function* conversation() {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
      await firstAnswer;
      yield { messageRequest: { case: "fileContainingSymbol" as const, value: "impossibledb.v1.CollectionService" } };
    }
    const cases: string[] = [];
    for await (const res of createClient(V1, rig.grpc).serverReflectionInfo(conversation(), { timeoutMs: 10_000 })) {
      cases.push(res.messageResponse.case ?? "");
      answered();
    }
    expect(cases).toEqual(["listServicesResponse", "fileDescriptorResponse"]);
  });

  it("answers a symbol with its file and every import, enough to build a registry", async () => {
    rig = await startRig({});
    const [res] = await reflect(rig.grpc, of({ messageRequest: { case: "fileContainingSymbol", value: "impossibledb.v1.QueryService.StreamQuery" } }));
    if (res?.messageResponse.case !== "fileDescriptorResponse") throw new Error(`unexpected answer ${res?.messageResponse.case}`);
    const files = res.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
    expect(files[0]?.name).toBe("impossibledb/v1/query_service.proto");
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(["impossibledb/v1/query.proto", "impossibledb/v1/document.proto", "google/protobuf/struct.proto"]));
    // The answer is self-contained: a registry resolves every type the
    // service uses.
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: dependenciesFirst(files) }));
    expect(registry.getService("impossibledb.v1.QueryService")?.methods.map((m) => m.name)).toEqual(["RunQuery", "StreamQuery", "RunAggregationQuery", "Listen"]);
    expect(registry.getMessage("impossibledb.v1.FieldFilter")?.fields.map((f) => f.name)).toEqual(["field", "op", "value", "typed_value"]);
  });

  it("finds files by name, nested types and enum values, and reports unknown names as NOT_FOUND answers", async () => {
    rig = await startRig({});
    const answers = await reflect(
      rig.grpc,
      of(
        { messageRequest: { case: "fileByFilename", value: "impossibledb/v1/document.proto" } },
        { messageRequest: { case: "fileContainingSymbol", value: "impossibledb.v1.FieldFilter.Operator" } },
        { messageRequest: { case: "fileContainingSymbol", value: "impossibledb.v1.Nope" } },
        { messageRequest: { case: "fileByFilename", value: "nope.proto" } },
      ),
    );
    const firstFile = (r: ServerReflectionResponse | undefined) =>
      r?.messageResponse.case === "fileDescriptorResponse" ? fromBinary(FileDescriptorProtoSchema, r.messageResponse.value.fileDescriptorProto[0]!).name : r?.messageResponse.case;
    expect(firstFile(answers[0])).toBe("impossibledb/v1/document.proto");
    expect(firstFile(answers[1])).toBe("impossibledb/v1/query.proto");
    for (const answer of answers.slice(2)) {
      expect(answer.messageResponse.case).toBe("errorResponse");
      expect(answer.messageResponse.case === "errorResponse" && answer.messageResponse.value.errorCode).toBe(Code.NotFound);
    }
  });

  it("lists the extension numbers of buf.validate's options", async () => {
    rig = await startRig({});
    const [res] = await reflect(rig.grpc, of({ messageRequest: { case: "allExtensionNumbersOfType", value: "google.protobuf.FieldOptions" } }));
    expect(res?.messageResponse.case === "allExtensionNumbersResponse" && res.messageResponse.value.extensionNumber).toContain(1159);
  });

  it("answers v1alpha the same way", async () => {
    rig = await startRig({});
    const out: string[] = [];
    const requests = of({ messageRequest: { case: "listServices" as const, value: "" } });
    for await (const res of createClient(V1Alpha, rig.grpc).serverReflectionInfo(requests)) {
      if (res.messageResponse.case === "listServicesResponse") out.push(...res.messageResponse.value.service.map((s) => s.name));
    }
    expect(out).toContain("impossibledb.v1.CollectionService");
    expect(out).toHaveLength(7);
  });
});
