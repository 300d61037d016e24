/**
 * Runs one planned call (plan.ts) and judges its answer. A call passes when
 * it got a well-formed protocol answer with a code its kind allows, within
 * its deadline, and every document it saw is exactly what was written. The
 * ledger records what each write may have left behind, for the check at the
 * end (verify.ts).
 */
import { create, toBinary, toJsonString, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { CollectionService, SetDocumentRequestSchema } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../gen/impossibledb/v1/query_service_pb.js";
import { createRandom } from "../../bench/lib/keys.js";
import { documentData, type CallPlan, type TransportName } from "./plan.js";

/** The deadline every call carries by default (Connect's timeout, so the server knows it too). */
export const CALL_TIMEOUT_MS = 30_000;
/** How long past its deadline a call may take before it counts as hung. */
export const HUNG_GRACE_MS = 10_000;

/** A document's stored data, as the run wrote it. */
export type StressData = ReturnType<typeof documentData>;

/** What the run knows of its writes. */
export interface Ledger {
  readonly seed: number;
  readonly collection: string;
  /** Acknowledged: must be stored exactly so. */
  readonly acked: Map<string, StressData>;
  /** Abandoned by the client, or still in flight: stored exactly so, or not at all. */
  readonly maybe: Map<string, StressData>;
  /** Bodies cut off mid-request: must not be stored. */
  readonly never: Set<string>;
}

/** How a call ended: a label to count ("ok", a code name, "cut", "aborted") and, when it failed, why. */
export interface Outcome {
  readonly label: string;
  readonly failure?: string;
}

/** Everything a call needs. */
export interface CallContext {
  readonly ledger: Ledger;
  readonly transports: Record<TransportName, Transport>;
  readonly workerUrl: string;
  /** The deadline of each call (CALL_TIMEOUT_MS unless the run says otherwise). */
  readonly timeoutMs: number;
}

/** Runs call `index` of `plan`, bounded by CALL_TIMEOUT_MS + HUNG_GRACE_MS whatever the server does. */
export async function runCall(ctx: CallContext, index: number, plan: CallPlan): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ label: "hung", failure: `no answer within ${ctx.timeoutMs + HUNG_GRACE_MS} ms` }), ctx.timeoutMs + HUNG_GRACE_MS);
  });
  try {
    return await Promise.race([dispatch(ctx, index, plan).catch((err: unknown) => judgeError(err, [])), hung]);
  } finally {
    clearTimeout(timer);
  }
}

function dispatch(ctx: CallContext, index: number, plan: CallPlan): Promise<Outcome> {
  switch (plan.kind) {
    case "write":
      return write(ctx, index, plan);
    case "read":
      return read(ctx, index, plan.transport);
    case "query-stream":
      return queryStream(ctx, plan);
    case "listen":
      return listen(ctx, index, plan.transport);
    case "cut-body":
      return cutBody(ctx, index, plan);
    case "short-deadline":
      return shortDeadline(ctx, index, plan.transport, plan.deadlineMs);
  }
}

async function write(ctx: CallContext, index: number, plan: Extract<CallPlan, { kind: "write" }>): Promise<Outcome> {
  const { ledger } = ctx;
  const id = `w${index}`;
  const data = documentData(ledger.seed, index, plan.bytes);
  ledger.maybe.set(id, data);
  const client = createClient(CollectionService, ctx.transports[plan.transport]);
  const controller = new AbortController();
  const abortTimer = plan.abortAfterMs === undefined ? undefined : setTimeout(() => controller.abort(), plan.abortAfterMs);
  try {
    const res = await client.setDocument({ ref: { collection: ledger.collection, id }, data }, { timeoutMs: ctx.timeoutMs, signal: controller.signal });
    const problem = mismatch(res.document?.data, data);
    if (problem !== undefined) return { label: "ok", failure: `SetDocument ${id} answered other data: ${problem}` };
    ledger.maybe.delete(id);
    ledger.acked.set(id, data);
    return { label: "ok" };
  } catch (err) {
    // A write its client abandoned may or may not have landed; it stays in `maybe`.
    return judgeError(err, plan.abortAfterMs === undefined ? [] : [Code.Canceled]);
  } finally {
    clearTimeout(abortTimer);
  }
}

async function read(ctx: CallContext, index: number, transport: TransportName): Promise<Outcome> {
  const { ledger } = ctx;
  const ids = [...ledger.acked.keys()];
  const id = ids.length === 0 ? `absent${index}` : ids[Math.floor(createRandom(ledger.seed ^ index)() * ids.length)]!;
  const expected = ledger.acked.get(id);
  const client = createClient(CollectionService, ctx.transports[transport]);
  try {
    const res = await client.getDocument({ ref: { collection: ledger.collection, id } }, { timeoutMs: ctx.timeoutMs });
    if (expected === undefined) return { label: "ok", failure: `GetDocument ${id} found a document never written` };
    const problem = mismatch(res.document?.data, expected);
    return problem === undefined ? { label: "ok" } : { label: "ok", failure: `GetDocument ${id}: ${problem}` };
  } catch (err) {
    return judgeError(err, expected === undefined ? [Code.NotFound] : []);
  }
}

async function queryStream(ctx: CallContext, plan: Extract<CallPlan, { kind: "query-stream" }>): Promise<Outcome> {
  const client = createClient(QueryService, ctx.transports[plan.transport]);
  const controller = new AbortController();
  let seen = 0;
  try {
    const stream = client.streamQuery({ query: { collection: ctx.ledger.collection, limit: plan.limit } }, { timeoutMs: ctx.timeoutMs, signal: controller.signal });
    for await (const res of stream) {
      if (res.result.case !== "document") continue;
      const problem = checkSeen(ctx.ledger, res.result.value.id, res.result.value.data);
      if (problem !== undefined) return { label: "ok", failure: `StreamQuery: ${problem}` };
      seen += 1;
      if (plan.abortAfterMessages !== undefined && seen >= plan.abortAfterMessages) {
        controller.abort();
        return { label: "cut" };
      }
    }
    if (seen > plan.limit) return { label: "ok", failure: `StreamQuery with limit ${plan.limit} sent ${seen} documents` };
    return { label: "ok" };
  } catch (err) {
    return judgeError(err, plan.abortAfterMessages === undefined ? [] : [Code.Canceled]);
  }
}

async function listen(ctx: CallContext, index: number, transport: TransportName): Promise<Outcome> {
  const client = createClient(QueryService, ctx.transports[transport]);
  const controller = new AbortController();
  try {
    const stream = client.listen({ target: { case: "document", value: { collection: ctx.ledger.collection, id: `w${Math.max(0, index - 1)}` } } }, { timeoutMs: ctx.timeoutMs, signal: controller.signal });
    for await (const res of stream) {
      for (const change of res.changes) {
        const doc = change.document;
        if (doc === undefined) continue;
        const problem = checkSeen(ctx.ledger, doc.id, doc.data);
        if (problem !== undefined) return { label: "ok", failure: `Listen: ${problem}` };
      }
      // The first answer came: the client goes away mid-stream.
      controller.abort();
      return { label: "cut" };
    }
    return { label: "ok", failure: "Listen ended by itself without a first answer" };
  } catch (err) {
    return judgeError(err, []);
  }
}

/** A raw POST whose body stops halfway; the client then aborts. Nothing may be stored and the server must go on serving. */
async function cutBody(ctx: CallContext, index: number, plan: Extract<CallPlan, { kind: "cut-body" }>): Promise<Outcome> {
  const id = `c${index}`;
  ctx.ledger.never.add(id);
  const message = create(SetDocumentRequestSchema, { ref: { collection: ctx.ledger.collection, id }, data: documentData(ctx.ledger.seed, index, plan.bytes) as unknown as JsonObject });
  const { body, contentType } = rawBody(plan.protocol, message);
  const half = body.subarray(0, Math.max(1, Math.floor(body.byteLength / 2)));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), plan.abortAfterMs);
  try {
    const res = await fetch(`${ctx.workerUrl}/impossibledb.v1.CollectionService/SetDocument`, {
      method: "POST",
      headers: { "Content-Type": contentType, ...(plan.protocol === "connect-json" || plan.protocol === "connect-proto" ? { "Connect-Protocol-Version": "1" } : {}) },
      body: new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(half) }),
      duplex: "half",
      signal: controller.signal,
    } as RequestInit);
    // The server answered before the body ended: only a well-formed refusal will do.
    await res.arrayBuffer().catch(() => undefined);
    return res.status >= 500 ? { label: `http_${res.status}`, failure: `a cut-off body got HTTP ${res.status}` } : { label: `http_${res.status}` };
  } catch (err) {
    if (controller.signal.aborted) return { label: "aborted" };
    return { label: "transport", failure: `a cut-off body failed before its abort: ${String(err)}` };
  } finally {
    clearTimeout(timer);
  }
}

function rawBody(protocol: "connect-json" | "connect-proto" | "grpc-web", message: ReturnType<typeof create<typeof SetDocumentRequestSchema>>) {
  if (protocol === "connect-json") return { body: new TextEncoder().encode(toJsonString(SetDocumentRequestSchema, message)), contentType: "application/json" };
  const binary = toBinary(SetDocumentRequestSchema, message);
  if (protocol === "connect-proto") return { body: binary, contentType: "application/proto" };
  const framed = new Uint8Array(5 + binary.byteLength);
  new DataView(framed.buffer).setUint32(1, binary.byteLength);
  framed.set(binary, 5);
  return { body: framed, contentType: "application/grpc-web+proto" };
}

async function shortDeadline(ctx: CallContext, index: number, transport: TransportName, deadlineMs: number): Promise<Outcome> {
  const client = createClient(CollectionService, ctx.transports[transport]);
  try {
    await client.getDocument({ ref: { collection: ctx.ledger.collection, id: `w${index}` } }, { timeoutMs: deadlineMs });
    return { label: "ok" };
  } catch (err) {
    return judgeError(err, [Code.DeadlineExceeded, Code.NotFound]);
  }
}

/** A failure unless `err` is a ConnectError with one of the `allowed` codes. INTERNAL, UNKNOWN (a bare HTTP 5xx reads as UNKNOWN), UNAVAILABLE are never allowed. */
function judgeError(err: unknown, allowed: readonly Code[]): Outcome {
  if (!(err instanceof ConnectError)) return { label: "not_connect_error", failure: `not a protocol answer: ${String(err)}` };
  const label = Code[err.code] ?? String(err.code);
  if (allowed.includes(err.code)) return { label };
  return { label, failure: `${label}: ${err.rawMessage}` };
}

/** Why a document seen in a stream is wrong, or undefined. */
function checkSeen(ledger: Ledger, id: string, data: JsonObject | undefined): string | undefined {
  if (ledger.never.has(id)) return `saw ${id}, whose body was cut off`;
  const expected = ledger.acked.get(id) ?? ledger.maybe.get(id);
  if (expected === undefined) return `saw ${id}, never written`;
  const problem = mismatch(data, expected);
  return problem === undefined ? undefined : `${id}: ${problem}`;
}

/** How `actual` differs from `expected`, or undefined when they are the same. */
export function mismatch(actual: JsonObject | undefined, expected: StressData): string | undefined {
  if (actual === undefined) return "no data";
  const keys = Object.keys(actual).sort().join(",");
  if (keys !== "index,pad,seed") return `fields ${keys}`;
  if (actual.index !== expected.index || actual.seed !== expected.seed) return `index/seed ${String(actual.index)}/${String(actual.seed)}`;
  if (actual.pad !== expected.pad) return `pad differs (${typeof actual.pad === "string" ? actual.pad.length : typeof actual.pad} vs ${expected.pad.length} chars)`;
  return undefined;
}
