/**
 * The front door's limits and timings, each with its unit in its name. The
 * request size limit is the Worker's own (src/limits.ts), so the front door
 * never buffers a message the Worker would refuse anyway.
 */
export { REQUEST_BYTES_MAX } from "../../src/limits.js";

/** How long a health probe waits for the Worker to answer. */
export const HEALTH_PROBE_TIMEOUT_MS = 2_000;

/** How often a health Watch stream probes the Worker for a change. */
export const HEALTH_WATCH_INTERVAL_MS = 1_000;

/** Requests a reflection stream may carry; each one is answered in turn. */
export const REFLECTION_REQUESTS_PER_STREAM_MAX = 10_000;

/** Bytes of a reflection file_by_filename or symbol name. */
export const REFLECTION_NAME_LENGTH_MAX = 4_096;

/** How long the front door waits for open calls to finish when it stops. */
export const SHUTDOWN_GRACE_MS = 5_000;

/**
 * The longest deadline the front door holds and passes on (about 27.7
 * hours): the forwarded call writes it as grpc-timeout in milliseconds, 8
 * digits at most. Below the longest Node timer (2^31 - 1 ms).
 */
export const DEADLINE_MS_MAX = 99_999_999;
