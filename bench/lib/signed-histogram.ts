/**
 * A histogram of delays that can be negative: an event may reach a listener
 * before the write's acknowledgement reaches the writer (both are measured
 * on the harness's one clock). HDR histograms hold positive values only, so
 * this keeps two, one per sign, in microseconds, and reads percentiles over
 * both as if they were one sorted list. Nothing is clamped: a negative delay
 * is reported as negative, and counted.
 */
import * as hdr from "hdr-histogram-js";
import { newHistogram } from "./loops.js";

/** Delays of events, signed, in microseconds. */
export interface SignedHistogram {
  /** Records one delay (ms, any sign). */
  record(delayMs: number): void;
  /** Delays recorded. */
  readonly count: number;
  /** Delays recorded that were below zero (the event beat the acknowledgement). */
  readonly negativeCount: number;
  /** The value at `percentile` (0..100) over all delays, in µs; NaN when empty. */
  percentileUs(percentile: number): number;
  /** The lowest delay, µs (negative when some event beat its acknowledgement); NaN when empty. */
  readonly minUs: number;
  /** The highest delay, µs; NaN when empty. */
  readonly maxUs: number;
  /** Each side in HdrHistogram's compressed form, for re-analysis (negative side as magnitudes). */
  encode(): { nonNegative: string; negativeMagnitudes: string };
}

/** Creates an empty signed histogram. */
export function createSignedHistogram(): SignedHistogram {
  // Zero and up go in one histogram, magnitudes of negatives in the other.
  // HDR's lowest discernible value is 1 µs, so a delay under 1 µs either way
  // is recorded as 1 µs of its own sign.
  const nonNegative = newHistogram();
  const negative = newHistogram();
  const magnitudeUs = (ms: number) => Math.max(1, Math.round(Math.abs(ms) * 1000));
  const count = () => nonNegative.totalCount + negative.totalCount;
  return {
    record(delayMs) {
      if (!Number.isFinite(delayMs)) throw new Error(`a delay must be a finite number of ms, got ${delayMs}`);
      (delayMs < 0 ? negative : nonNegative).recordValue(magnitudeUs(delayMs));
    },
    get count() {
      return count();
    },
    get negativeCount() {
      return negative.totalCount;
    },
    percentileUs(percentile) {
      return signedPercentile(negative, nonNegative, percentile);
    },
    get minUs() {
      if (count() === 0) return NaN;
      return negative.totalCount > 0 ? -negative.maxValue : nonNegative.minNonZeroValue;
    },
    get maxUs() {
      if (count() === 0) return NaN;
      return nonNegative.totalCount > 0 ? nonNegative.maxValue : -negative.minNonZeroValue;
    },
    encode() {
      return { nonNegative: encodeHistogram(nonNegative), negativeMagnitudes: encodeHistogram(negative) };
    },
  };
}

/**
 * The value at `percentile` of the list made of the negatives (most
 * negative first) followed by the non-negatives. The rank is HDR's own
 * (the smallest value with at least `percentile`% of the values at or
 * below it); within one side the side's own percentile gives the value.
 */
function signedPercentile(negative: hdr.Histogram, nonNegative: hdr.Histogram, percentile: number): number {
  if (percentile < 0 || percentile > 100) throw new Error(`a percentile is in 0..100, got ${percentile}`);
  const negatives = negative.totalCount;
  const total = negatives + nonNegative.totalCount;
  if (total === 0) return NaN;
  const rank = Math.max(1, Math.ceil((percentile / 100) * total));
  if (rank <= negatives) {
    // Rank r from the most negative is rank (negatives - r + 1) by magnitude, smallest first.
    const byMagnitude = negatives - rank + 1;
    return -negative.getValueAtPercentile((100 * byMagnitude) / negatives);
  }
  return nonNegative.getValueAtPercentile((100 * (rank - negatives)) / nonNegative.totalCount);
}

function encodeHistogram(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}
