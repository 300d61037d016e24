/**
 * A shard's decoded documents, kept in the object's memory between requests
 * so a hot document is not read and parsed from SQLite on every get. A
 * Durable Object is the only writer of its SQLite database, so the cache
 * can be kept exact without asking anyone: every path that changes the
 * `documents` table drops what it changed (objects/StorageObject.ts says
 * which path drops what), and reads fill it. Writes never fill it: a write
 * whose transaction rolls back must not leave its document behind.
 *
 * Bounded by DOCUMENT_CACHE_ENTRIES_MAX documents and
 * DOCUMENT_CACHE_BYTES_MAX bytes of their JSON; the least recently used
 * goes first (a Map keeps insertion order; a hit moves its entry to the
 * end). Pure: no Workers types, tested in Node.
 */
import { DOCUMENT_CACHE_BYTES_MAX, DOCUMENT_CACHE_ENTRIES_MAX } from "../limits.js";
import type { StoredDocument } from "./types.js";

/** What the cache holds and how it has served, for `stats()`. */
export interface DocumentCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
}

interface Entry {
  readonly document: StoredDocument;
  /** Length of the document's stored JSON text. */
  readonly jsonBytes: number;
}

/** An LRU cache of decoded documents by (collection, id). */
export class DocumentCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly entriesMax = DOCUMENT_CACHE_ENTRIES_MAX,
    private readonly bytesMax = DOCUMENT_CACHE_BYTES_MAX,
  ) {
    if (!(entriesMax >= 0 && bytesMax >= 0)) throw new Error("invariant broken: cache bounds are not negative");
  }

  /** The cached document with its JSON length, or undefined (a miss; missing documents are never cached). */
  get(collection: string, id: string): Entry | undefined {
    const k = key(collection, id);
    const entry = this.entries.get(k);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(k);
    this.entries.set(k, entry);
    return entry;
  }

  /** True when the document is cached; unlike `get`, counts nothing and leaves the LRU order alone. */
  has(collection: string, id: string): boolean {
    return this.entries.has(key(collection, id));
  }

  /** Keeps a document just read from SQLite; a document over the byte bound is not kept. */
  fill(document: StoredDocument, jsonBytes: number): void {
    const k = key(document.collection, document.id);
    this.drop(k);
    if (jsonBytes > this.bytesMax || this.entriesMax === 0) return;
    this.entries.set(k, { document, jsonBytes });
    this.bytes += jsonBytes;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.entriesMax && this.bytes <= this.bytesMax) break;
      this.drop(oldest);
    }
    if (this.entries.size > this.entriesMax || this.bytes > this.bytesMax) throw new Error("invariant broken: the document cache is over its bounds");
  }

  /** Drops one document (it was written or deleted). */
  invalidate(collection: string, id: string): void {
    this.drop(key(collection, id));
  }

  /** Drops every document of a collection (DeleteCollection removed a range of it). */
  invalidateCollection(collection: string): void {
    const prefix = key(collection, "");
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.drop(k);
  }

  /** Drops everything (a path whose changed rows are not known one by one). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  stats(): DocumentCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
  }

  private drop(k: string): void {
    const entry = this.entries.get(k);
    if (entry === undefined) return;
    this.entries.delete(k);
    this.bytes -= entry.jsonBytes;
  }
}

// Collection names cannot hold U+0000 (their grammar), so the key is unambiguous.
function key(collection: string, id: string): string {
  return `${collection}\u0000${id}`;
}
