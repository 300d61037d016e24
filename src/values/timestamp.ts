/**
 * Timestamps as ImpossibleDB stores them: microseconds since the Unix
 * epoch, from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z (the
 * range and precision of Firestore's timestamps), written as RFC 3339 text
 * in UTC with exactly six fractional digits. That text has one spelling per
 * instant and sorts as the instants do (fixed width, years 0001-9999), so
 * it is both the stored form and the order key.
 */

/** Microseconds since the epoch of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z. */
export const TIMESTAMP_MICROS_MIN = -62_135_596_800_000_000n;
export const TIMESTAMP_MICROS_MAX = 253_402_300_799_999_999n;

const CANONICAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;

/** The canonical text of `micros`; RangeError outside the supported range. */
export function timestampText(micros: bigint): string {
  if (micros < TIMESTAMP_MICROS_MIN || micros > TIMESTAMP_MICROS_MAX) throw new RangeError(`timestamp ${micros} µs is outside 0001-01-01..9999-12-31`);
  let ms = micros / 1000n;
  let sub = micros % 1000n;
  if (sub < 0n) {
    sub += 1000n;
    ms -= 1n;
  }
  // toISOString writes years 0000-9999 with four digits and milliseconds with three.
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 23)}${sub.toString().padStart(3, "0")}Z`;
}

/** The microseconds of canonical text, or null when `text` is not canonical (or out of range). */
export function parseTimestampText(text: string): bigint | null {
  const m = CANONICAL.exec(text);
  if (m === null) return null;
  const ms = Date.parse(`${text.slice(0, 23)}Z`);
  if (Number.isNaN(ms)) return null;
  const micros = BigInt(ms) * 1000n + BigInt(m[7]!.slice(3));
  if (micros < TIMESTAMP_MICROS_MIN || micros > TIMESTAMP_MICROS_MAX) return null;
  // Date.parse accepts a few impossible dates (it rolls 02-30 over); the round trip refuses them.
  return timestampText(micros) === text ? micros : null;
}

/** Microseconds of a protobuf Timestamp's (seconds, nanos), or an error message. */
export function microsFromProto(seconds: bigint, nanos: number): bigint | string {
  if (!Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) return `nanos ${nanos} is outside 0..999999999`;
  if (nanos % 1000 !== 0) return `has ${nanos} nanoseconds; timestamps are stored to the microsecond, so nanos must be a multiple of 1000`;
  const micros = seconds * 1_000_000n + BigInt(nanos / 1000);
  if (micros < TIMESTAMP_MICROS_MIN || micros > TIMESTAMP_MICROS_MAX) return "is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z";
  return micros;
}

/** The protobuf Timestamp (seconds, nanos) of `micros`. */
export function protoFromMicros(micros: bigint): { seconds: bigint; nanos: number } {
  let seconds = micros / 1_000_000n;
  let sub = micros % 1_000_000n;
  if (sub < 0n) {
    sub += 1_000_000n;
    seconds -= 1n;
  }
  return { seconds, nanos: Number(sub) * 1000 };
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The microseconds of any RFC 3339 date-time (an offset or Z, up to nine
 * fractional digits), or why it cannot be stored: not RFC 3339, an
 * impossible date, digits finer than a microsecond that are not zero
 * (never rounded), or outside 0001..9999 in UTC.
 */
export function microsFromRfc3339(text: string): bigint | string {
  const m = RFC3339.exec(text);
  if (m === null) return "is not an RFC 3339 date-time such as 2026-11-30T15:04:05.123456Z";
  const fraction = (m[7] ?? "").padEnd(9, "0");
  if (fraction.slice(6) !== "000") return "has digits finer than a microsecond; timestamps are stored to the microsecond";
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const offsetText = m[8]!.toUpperCase() === "Z" ? null : m[8]!;
  const offsetReal = offsetText === null || (Number(offsetText.slice(1, 3)) <= 23 && Number(offsetText.slice(4, 6)) <= 59);
  if (!isRealDateTime(year, month, day, hour, minute, second) || !offsetReal) return "is not a real date and time";
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const offset = m[8]!.toUpperCase() === "Z" ? 0 : (m[8]!.startsWith("-") ? -1 : 1) * (Number(m[8]!.slice(1, 3)) * 60 + Number(m[8]!.slice(4, 6)));
  const micros = (BigInt(date.getTime()) - BigInt(offset) * 60_000n) * 1000n + BigInt(fraction.slice(0, 6));
  if (micros < TIMESTAMP_MICROS_MIN || micros > TIMESTAMP_MICROS_MAX) return "is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999Z";
  return micros;
}

/**
 * True when the fields name a real date and time in the proleptic
 * Gregorian calendar (month 1-12, the month's own last day, 29 February
 * only in leap years, hours 0-23, no leap seconds): what `Date.parse`
 * silently rolls over (30 February becomes 2 March).
 */
export function isRealDateTime(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour <= 23 && minute <= 59 && second <= 59;
}
