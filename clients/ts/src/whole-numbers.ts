/**
 * Counts that callers pass (page sizes, batch sizes, limits, offsets) go
 * into int32 fields: a fraction, NaN or a number past 2^31-1 failed the
 * request's serialization and came back as INTERNAL, and 0 means "the
 * default" (or "no limit") on the wire, never "none". So each is checked
 * here first, with a RangeError that names it.
 */
import { PAGE_SIZE_MAX } from "./limits.js";
import { describe } from "./options.js";

/**
 * `value` when it is a whole number from `min` to `max`; else a TypeError
 * (not a number) or RangeError naming `what`, with `instead` (what to do
 * instead) when the value is 0 and 0 is refused.
 */
export function wholeNumberIn(value: unknown, min: number, max: number, what: string, instead?: string): number {
  if (typeof value !== "number") throw new TypeError(`${what} must be a whole number from ${min} to ${max}, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be a whole number from ${min} to ${max}, got ${value}${value === 0 && instead !== undefined ? `: ${instead}` : ""}`);
  }
  return value;
}

/** A pageSize option: undefined (the server's default), or 1 to PAGE_SIZE_MAX. */
export function pageSizeOf(pageSize: number | undefined, where: string): number | undefined {
  return pageSize === undefined ? undefined : wholeNumberIn(pageSize, 1, PAGE_SIZE_MAX, `${where}: pageSize`, "leave pageSize out for the server's default (100)");
}
