/**
 * Timestamp: an instant to the microsecond, the precision the server
 * stores (the contract's `Value.timestamp_value`, 0001-01-01T00:00:00Z to
 * 9999-12-31T23:59:59.999999Z). A JavaScript Date keeps milliseconds only,
 * so a Date is enough to write a timestamp, but reading one back as a Date
 * drops its microseconds: a client made with `timestamps: "timestamp"`
 * returns Timestamps instead (see ImpossibleDBClientOptions.timestamps).
 */
import { MICROS_PER_SECOND, TIMESTAMP_SECONDS_MAX, TIMESTAMP_SECONDS_MIN } from "./limits.js";

const MS_PER_SECOND = 1000;
const MICROS_PER_MS = MICROS_PER_SECOND / MS_PER_SECOND;

/** An instant: whole seconds since 1970-01-01T00:00:00Z plus microseconds; immutable. */
export class Timestamp {
  /** Whole seconds since the Unix epoch (negative before 1970), rounded down. */
  readonly seconds: bigint;
  /** Microseconds after `seconds`, 0 to 999,999 (also before 1970: -0.5 s is seconds -1, microseconds 500,000). */
  readonly microseconds: number;

  /**
   * An instant from seconds (a bigint, or a safe integer number) and
   * microseconds (a whole number, 0 to 999,999). A RangeError outside
   * 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z or for anything
   * not whole.
   */
  constructor(seconds: bigint | number, microseconds = 0) {
    if (typeof seconds === "number" && !Number.isSafeInteger(seconds)) throw new RangeError(`Timestamp: seconds must be a whole number, not ${String(seconds)}`);
    if (typeof seconds !== "number" && typeof seconds !== "bigint") throw new TypeError(`Timestamp: seconds must be a bigint or a number, not ${typeof seconds}`);
    if (!Number.isInteger(microseconds) || microseconds < 0 || microseconds >= MICROS_PER_SECOND) {
      throw new RangeError(`Timestamp: microseconds must be a whole number from 0 to ${MICROS_PER_SECOND - 1}, not ${String(microseconds)}`);
    }
    const s = BigInt(seconds);
    if (s < BigInt(TIMESTAMP_SECONDS_MIN) || s > BigInt(TIMESTAMP_SECONDS_MAX)) {
      throw new RangeError(`Timestamp: ${s} seconds is outside 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z, the range the server stores`);
    }
    this.seconds = s;
    this.microseconds = microseconds;
    Object.freeze(this);
  }

  /** The instant of a Date (its milliseconds as microseconds); a TypeError for an invalid Date, a RangeError outside years 1 to 9999. */
  static fromDate(date: Date): Timestamp {
    const ms = date instanceof Date ? date.getTime() : Number.NaN;
    if (Number.isNaN(ms)) throw new TypeError("Timestamp.fromDate: the Date is invalid (its time is NaN)");
    const seconds = Math.floor(ms / MS_PER_SECOND);
    return new Timestamp(seconds, (ms - seconds * MS_PER_SECOND) * MICROS_PER_MS);
  }

  /** The instant from microseconds since the Unix epoch. */
  static fromMicros(micros: bigint): Timestamp {
    const perSecond = BigInt(MICROS_PER_SECOND);
    // BigInt division truncates toward zero; seconds round down, so the fraction is never negative.
    let seconds = micros / perSecond;
    if (seconds * perSecond > micros) seconds -= 1n;
    return new Timestamp(seconds, Number(micros - seconds * perSecond));
  }

  /** Now, to the millisecond (the clock's precision in JavaScript). */
  static now(): Timestamp {
    return Timestamp.fromDate(new Date());
  }

  /** Microseconds since the Unix epoch, exactly. */
  toMicros(): bigint {
    return this.seconds * BigInt(MICROS_PER_SECOND) + BigInt(this.microseconds);
  }

  /** A Date at this instant, rounded down to the millisecond (a Date holds no microseconds). */
  toDate(): Date {
    return new Date(Number(this.seconds) * MS_PER_SECOND + Math.floor(this.microseconds / MICROS_PER_MS));
  }

  /** True when `other` is a Timestamp of the same instant. */
  isEqual(other: unknown): boolean {
    return other instanceof Timestamp && other.seconds === this.seconds && other.microseconds === this.microseconds;
  }

  /** RFC 3339 in UTC with six fractional digits, the server's JSON form: `2026-11-30T15:04:05.123456Z`. */
  toISOString(): string {
    const whole = new Date(Number(this.seconds) * MS_PER_SECOND).toISOString(); // "YYYY-MM-DDTHH:MM:SS.000Z"
    return `${whole.slice(0, 19)}.${String(this.microseconds).padStart(6, "0")}Z`;
  }

  /** The JSON form (toISOString), so JSON.stringify writes what the server's `data` holds. */
  toJSON(): string {
    return this.toISOString();
  }

  /** toISOString(). */
  toString(): string {
    return this.toISOString();
  }
}
