/**
 * Where ImpossibleDB's request path spends its time. workerd has no
 * --cpu-prof, so the path is cut into pieces that can each be driven on
 * their own, and each piece's workerd CPU per request is measured from
 * /proc while it runs at saturation:
 *
 *   floor /noop        HTTP + Worker invocation
 *   floor /do-noop     + a Durable Object call
 *   floor /get         + the SQL read (the floor)
 *   idb GetRoutingTable  HTTP + Worker + Connect + interceptors + routing cache, no shard call
 *   idb GetDocument    the whole path
 *
 * The Connect codec and protovalidate are also timed in the harness's Node
 * (the same V8 as workerd), on the messages a point get and put carry.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import { GetDocumentResponseSchema, SetDocumentRequestSchema } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { COLLECTION } from "../config.js";
import { createDocument } from "./document.js";
import { createRandom } from "./keys.js";
import { closedLoop, type Operation } from "./loops.js";
import { startCpuMeter } from "./cpu.js";

export interface ProbeResult {
  readonly probe: string;
  readonly opsPerSecond: number;
  /** workerd CPU per request, microseconds. */
  readonly serverCpuUsPerOp: number;
}

export async function runProbe(
  probe: string,
  serverPids: readonly number[],
  next: () => Operation,
  options: { concurrency: number; warmupMs: number; measureMs: number },
): Promise<ProbeResult> {
  await closedLoop(next, { concurrency: options.concurrency, warmupMs: 0, measureMs: options.warmupMs });
  const meter = await startCpuMeter(serverPids);
  const result = await closedLoop(next, { concurrency: options.concurrency, warmupMs: 0, measureMs: options.measureMs });
  const cpu = await meter.stop();
  return { probe, opsPerSecond: result.opsPerSecond, serverCpuUsPerOp: (cpu.serverCpuSeconds * 1e6) / Math.max(1, result.ops) };
}

/** Microseconds per call of `fn`, over at least `minMs`. */
function timeUs(fn: () => unknown, minMs: number): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return ((performance.now() - t0) * 1000) / n;
}

/** Codec and validation costs of a point get's response and a point put's request, in Node. */
export function codecCosts(minMs: number): Record<string, number> {
  const data = createDocument(createRandom(7));
  const getResponse = create(GetDocumentResponseSchema, {
    document: { collection: COLLECTION, id: "user0000000001", data, version: 42n },
  });
  const getBytes = toBinary(GetDocumentResponseSchema, getResponse);
  const setRequest = create(SetDocumentRequestSchema, { ref: { collection: COLLECTION, id: "user0000000001" }, data });
  const setBytes = toBinary(SetDocumentRequestSchema, setRequest);
  const validator = createValidator();
  const json = JSON.stringify(data);
  return {
    "encode GetDocumentResponse (1 KB doc)": timeUs(() => toBinary(GetDocumentResponseSchema, getResponse), minMs),
    "decode GetDocumentResponse": timeUs(() => fromBinary(GetDocumentResponseSchema, getBytes), minMs),
    "encode SetDocumentRequest (1 KB doc)": timeUs(() => toBinary(SetDocumentRequestSchema, setRequest), minMs),
    "decode SetDocumentRequest": timeUs(() => fromBinary(SetDocumentRequestSchema, setBytes), minMs),
    "protovalidate SetDocumentRequest": timeUs(() => validator.validate(SetDocumentRequestSchema, setRequest), minMs),
    "JSON.stringify document (reference)": timeUs(() => JSON.stringify(data), minMs),
    "JSON.parse document (reference)": timeUs(() => JSON.parse(json), minMs),
  };
}
