/**
 * Reads the server's "retry after" from an error: the `google.rpc.RetryInfo`
 * detail (its `retry_delay`), else the `retry-after` header or trailer in
 * whole seconds. ImpossibleDB sends both with the RESOURCE_EXHAUSTED of a
 * rate limit (docs/security.md), and only on a call it refused before doing
 * anything, which is what lets the transport send even a write again.
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import type { ConnectError } from "@connectrpc/connect";

/** The type name of the RetryInfo error detail. */
export const RETRY_INFO_TYPE = "google.rpc.RetryInfo";

/** The header or trailer that repeats the delay, in seconds. */
export const RETRY_AFTER_HEADER = "retry-after";

/**
 * The delay the server asked for, in ms, or undefined when it asked for
 * none (or sent something unreadable, which is treated as none).
 */
export function serverRetryDelayMs(error: ConnectError): number | undefined {
  const fromDetail = retryInfoDelayMs(error);
  if (fromDetail !== undefined) return fromDetail;
  const header = error.metadata.get(RETRY_AFTER_HEADER);
  if (header === null || !/^\d{1,9}$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

/** The delay of the error's `google.rpc.RetryInfo` detail, in ms; undefined without one. */
export function retryInfoDelayMs(error: ConnectError): number | undefined {
  for (const detail of error.details) {
    if (!("type" in detail) || detail.type !== RETRY_INFO_TYPE) continue;
    const ms = decodeRetryInfoMs(detail.value);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

/** RetryInfo { Duration retry_delay = 1 } to ms; undefined when malformed or negative. */
function decodeRetryInfoMs(bytes: Uint8Array): number | undefined {
  try {
    const reader = new BinaryReader(bytes);
    let ms: number | undefined;
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field !== 1 || wireType !== WireType.LengthDelimited) {
        reader.skip(wireType, field);
        continue;
      }
      const duration = new BinaryReader(reader.bytes());
      let seconds = 0;
      let nanos = 0;
      while (duration.pos < duration.len) {
        const [f, t] = duration.tag();
        if (f === 1 && t === WireType.Varint) seconds = Number(duration.int64());
        else if (f === 2 && t === WireType.Varint) nanos = duration.int32();
        else duration.skip(t, f);
      }
      ms = seconds * 1000 + Math.ceil(nanos / 1_000_000);
    }
    return ms !== undefined && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  } catch {
    return undefined;
  }
}
