/** Number and time formats the panels share. */
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;
const BYTES_PER_KIB = 1024;

/** `n` bytes in the largest binary unit that keeps it at 1 or more. */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= BYTES_PER_KIB && unit < BYTE_UNITS.length - 1) {
    value /= BYTES_PER_KIB;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/** A rate with two significant decimals below 10 and none above. */
export function formatRate(perSecond: number): string {
  return `${perSecond < 10 ? perSecond.toFixed(2) : Math.round(perSecond)}/s`;
}

/** Milliseconds, whole above 10. */
export function formatMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** A timestamp as ISO 8601 in UTC, to the millisecond; "?" when the server sent none. */
export function formatTime(ts: Timestamp | undefined): string {
  return ts === undefined ? "?" : timestampDate(ts).toISOString();
}
