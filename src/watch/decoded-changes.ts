/**
 * Decoded changes shared by the listeners of one Worker isolate. Each
 * listener receives its own copy of a change-log row (Workers RPC clones
 * every reply), but all listeners of a collection receive the same rows; so
 * a row is converted to a FeedChange once, by (scope, shard, seq), and the
 * parsed documents and wire messages hung on that change (listen-view.ts,
 * listen-service.ts) are made once too. Measured with 100 listeners: each
 * listener parsing and converting every change cost more than the write.
 *
 * Bounded by LISTEN_DECODED_CACHE_BYTES_MAX (the rows' JSON lengths),
 * evicting the oldest. Only plain data is kept (never a promise or an I/O
 * object, which a Worker may not share between requests).
 */
import { LISTEN_DECODED_CACHE_BYTES_MAX } from "../limits.js";
import type { FeedChange } from "./change-merger.js";

/** Row overhead counted per entry besides its JSON text, in bytes. */
const ENTRY_OVERHEAD_BYTES = 256;

/** A byte-bounded map of decoded changes, oldest evicted first. */
export class DecodedChanges {
  private readonly entries = new Map<string, { change: FeedChange; bytes: number }>();
  private bytes = 0;

  constructor(private readonly bytesMax: number = LISTEN_DECODED_CACHE_BYTES_MAX) {}

  /** The change stored under `key`, or the one `decode` makes (then stored). */
  get(key: string, sizeBytes: number, decode: () => FeedChange): FeedChange {
    const known = this.entries.get(key);
    if (known !== undefined) return known.change;
    const change = decode();
    const bytes = sizeBytes + ENTRY_OVERHEAD_BYTES;
    if (bytes > this.bytesMax) return change;
    while (this.bytes + bytes > this.bytesMax) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.bytes -= this.entries.get(oldest.value)!.bytes;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { change, bytes });
    this.bytes += bytes;
    return change;
  }

  /** Bytes held, for tests. */
  get sizeBytes(): number {
    return this.bytes;
  }
}
