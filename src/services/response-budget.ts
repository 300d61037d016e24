/**
 * Keeps every answer within what a gRPC client accepts by default.
 *
 * Standard gRPC clients refuse messages over 4 MiB (GRPC_MESSAGE_BYTES_DEFAULT_MAX)
 * with RESOURCE_EXHAUSTED, even when the call succeeded; for a write that
 * means a caller who cannot tell that its write happened. So each response
 * that carries documents fills a budget of RESPONSE_BYTES_MAX, counted as
 * the items' binary protobuf encoding (what gRPC sends), and stops before
 * an item that would overflow it. The first item always goes in:
 * DOCUMENT_WIRE_BYTES_MAX <= RESPONSE_BYTES_MAX (asserted in limits.ts),
 * so a response makes progress even with the largest document.
 */
import { toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { RESPONSE_BYTES_MAX } from "../limits.js";

/** A byte budget for the items of one response. */
export interface ResponseBudget {
  /** Takes `bytes` from the budget and returns true, or returns false (taking nothing) when they do not fit. */
  tryTake(bytes: number): boolean;
  /** Bytes taken so far. */
  readonly usedBytes: number;
}

/** A fresh budget of `bytesMax` (RESPONSE_BYTES_MAX unless a test says otherwise); the first item always fits. */
export function createResponseBudget(bytesMax: number = RESPONSE_BYTES_MAX): ResponseBudget {
  let usedBytes = 0;
  let items = 0;
  return {
    tryTake(bytes) {
      if (items > 0 && usedBytes + bytes > bytesMax) return false;
      usedBytes += bytes;
      items += 1;
      return true;
    },
    get usedBytes() {
      return usedBytes;
    },
  };
}

/** The size of a message's binary protobuf encoding, in bytes. */
export function encodedBytes<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): number {
  return toBinary(schema, message).length;
}

/**
 * The longest prefix of `items` whose encodings fit one budget (at least
 * one item when there is any), with each item's message built once.
 *
 * With `bytesBound` (an upper bound on a message's encoded size, or null
 * when it cannot tell), messages are taken by their bounds while the bounds
 * fit, and encoded only once they no longer would: then the messages taken
 * so far are measured exactly and the walk goes on exactly. Since every
 * bound is at least the exact size, the prefix is the same as measuring
 * every message; a response of small items is never encoded here at all.
 */
export function fittingPrefix<T, Desc extends DescMessage>(
  items: readonly T[],
  schema: Desc,
  toMessage: (item: T, index: number) => MessageShape<Desc>,
  bytesMax: number = RESPONSE_BYTES_MAX,
  bytesBound?: (message: MessageShape<Desc>) => number | null,
): MessageShape<Desc>[] {
  let budget: ResponseBudget | null = bytesBound === undefined ? createResponseBudget(bytesMax) : null;
  let boundedBytes = 0;
  const out: MessageShape<Desc>[] = [];
  for (const [index, item] of items.entries()) {
    const message = toMessage(item, index);
    if (budget === null) {
      const bound = bytesBound!(message);
      if (bound !== null && boundedBytes + bound <= bytesMax) {
        boundedBytes += bound;
        out.push(message);
        continue;
      }
      budget = createResponseBudget(bytesMax);
      for (const taken of out) {
        if (!budget.tryTake(encodedBytes(schema, taken))) throw new Error("invariant broken: an encoded size exceeded its bound");
      }
    }
    if (!budget.tryTake(encodedBytes(schema, message))) break;
    out.push(message);
  }
  return out;
}
