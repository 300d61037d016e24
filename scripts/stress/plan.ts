/**
 * The stress run's call plan: pure and seeded, so call I of seed S is the
 * same kind of call, over the same protocol, with the same body size and
 * the same abort point, in every run.
 */
import { createRandom } from "../../bench/lib/keys.js";

/** The ways a call reaches the server: every protocol and encoding a client of ours uses. */
export const TRANSPORTS = [
  "connect-json", // connect-node, Connect protocol, JSON
  "connect-proto-gzip", // connect-node, Connect protocol, binary, gzip both ways
  "connect-get", // connect-node, Connect GET for idempotent methods (binary in the URL)
  "connect-web-json", // connect-web over fetch, as browsers call
  "grpc-web-gzip", // connect-node, gRPC-Web, binary, gzip both ways
  "grpc-web-json", // connect-node, gRPC-Web, JSON
  "grpc-gzip", // connect-node, gRPC over h2c through the front door, gzip
] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/** The largest document body the run writes (DOCUMENT_BYTES_MAX is 1 MiB). */
export const LARGE_BODY_BYTES_MAX = 600 * 1024;
/** The smallest "large" body: above Connect's compressMinBytes and one TCP window. */
export const LARGE_BODY_BYTES_MIN = 64 * 1024;
/** Small bodies: a few fields, as most calls carry. */
export const SMALL_BODY_BYTES_MAX = 512;

/** One call of the run. */
export type CallPlan =
  /** SetDocument of a fresh document; with abortAfterMs the client gives up then (the write may or may not land). */
  | { kind: "write"; transport: TransportName; bytes: number; abortAfterMs?: number }
  /** GetDocument of a document written before (the run picks which), checked against what was written. */
  | { kind: "read"; transport: TransportName }
  /** StreamQuery over the run's collection, every document checked; with abortAfterMessages the client cancels mid-stream. */
  | { kind: "query-stream"; transport: TransportName; limit: number; abortAfterMessages?: number }
  /** Listen to one document: the first answer arrives, then the client goes away mid-stream. */
  | { kind: "listen"; transport: TransportName }
  /** A raw POST whose body stops halfway, then the client aborts: nothing may be stored. */
  | { kind: "cut-body"; protocol: "connect-json" | "connect-proto" | "grpc-web"; bytes: number; abortAfterMs: number }
  /** GetDocument with a deadline of 1 to 50 ms (the client's and, sent along, the server's): DEADLINE_EXCEEDED or an answer, nothing else. */
  | { kind: "short-deadline"; transport: TransportName; deadlineMs: number };

/** How often each kind comes up, out of 100. */
const KIND_WEIGHTS: readonly [CallPlan["kind"], number][] = [
  ["write", 42],
  ["read", 25],
  ["query-stream", 10],
  ["listen", 5],
  ["cut-body", 8],
  ["short-deadline", 10],
];

/** The share of bodies that are large by default (the rest are small). */
export const LARGE_SHARE_DEFAULT = 0.1;

/** Call `index` of the run seeded with `seed`; `largeShare` of the bodies are large. */
export function planCall(seed: number, index: number, largeShare = LARGE_SHARE_DEFAULT): CallPlan {
  const random = createRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const kind = pickWeighted(random());
  const transport = pick(TRANSPORTS);
  switch (kind) {
    case "write": {
      const bytes = bodyBytes(random, largeShare);
      // One write in six is abandoned by its client after 0-30 ms.
      return random() < 1 / 6 ? { kind, transport, bytes, abortAfterMs: Math.floor(random() * 30) } : { kind, transport, bytes };
    }
    case "read":
    case "listen":
      return { kind, transport };
    case "short-deadline":
      return { kind, transport, deadlineMs: 1 + Math.floor(random() * 50) };
    case "query-stream": {
      const limit = 1 + Math.floor(random() * 4);
      return random() < 0.4 ? { kind, transport, limit, abortAfterMessages: 1 } : { kind, transport, limit };
    }
    case "cut-body":
      return { kind, protocol: pick(["connect-json", "connect-proto", "grpc-web"] as const), bytes: bodyBytes(random, largeShare), abortAfterMs: 20 + Math.floor(random() * 80) };
  }
}

/** Small bodies, but `largeShare` of them between LARGE_BODY_BYTES_MIN and LARGE_BODY_BYTES_MAX. */
function bodyBytes(random: () => number, largeShare: number): number {
  if (random() < largeShare) return LARGE_BODY_BYTES_MIN + Math.floor(random() * (LARGE_BODY_BYTES_MAX - LARGE_BODY_BYTES_MIN));
  return 1 + Math.floor(random() * SMALL_BODY_BYTES_MAX);
}

function pickWeighted(u: number): CallPlan["kind"] {
  const total = KIND_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
  let at = u * total;
  for (const [kind, weight] of KIND_WEIGHTS) {
    if (at < weight) return kind;
    at -= weight;
  }
  return KIND_WEIGHTS[KIND_WEIGHTS.length - 1]![0];
}

/**
 * The data a write of `bytes` stores for document `index`: its index, and a
 * pad of seeded text (letters and digits, so gzip has some work to do but
 * the body stays large on the wire).
 */
export function documentData(seed: number, index: number, bytes: number): { index: number; seed: number; pad: string } {
  const random = createRandom((seed ^ Math.imul(index + 7, 0x85ebca6b)) >>> 0);
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  // A short random cycle, repeated: cheap to build, still not a single repeated byte.
  let cycle = "";
  for (let i = 0; i < 97; i++) cycle += alphabet[Math.floor(random() * alphabet.length)];
  return { index, seed, pad: cycle.repeat(Math.ceil(bytes / cycle.length)).slice(0, bytes) };
}
