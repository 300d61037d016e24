/**
 * A consistent-hash ring with virtual nodes: the pure function from a routing
 * key to the shard that owns it.
 *
 * Each shard places `virtualNodesPerShard` points on a 32-bit circle at
 * hash32(`${shardId}#${i}`); a key belongs to the first point at or after
 * hash32(key), wrapping past the top. Because a point's position depends only
 * on its own shard id, adding a shard moves keys only to the new shard and
 * removing one moves only that shard's keys, which is what lets the cluster
 * grow without reshuffling every document.
 */
import { hash32 } from "./hash.js";
import {
  RING_POINT_COUNT_MAX,
  SHARD_COUNT_MAX,
  SHARD_ID_LENGTH_MAX,
  SHARD_ID_PATTERN,
  VIRTUAL_NODES_PER_SHARD_MAX,
  VIRTUAL_NODES_PER_SHARD_MIN,
} from "./limits.js";

export {
  RING_POINT_COUNT_MAX,
  SHARD_COUNT_MAX,
  SHARD_ID_LENGTH_MAX,
  SHARD_ID_PATTERN,
  VIRTUAL_NODES_PER_SHARD_MAX,
  VIRTUAL_NODES_PER_SHARD_MIN,
} from "./limits.js";

/** The configuration a ring is built from; it fully determines the ring. */
export interface ConsistentHashRingOptions {
  /** Shard ids in placement order. The ring depends only on the set. */
  readonly shards: readonly string[];
  /** Points per shard; more points spread keys more evenly. */
  readonly virtualNodesPerShard: number;
}

/**
 * An immutable ring. Rings are values: changing membership returns a new ring
 * and leaves this one untouched, so a router can keep serving the old table
 * while the new one is prepared.
 */
export interface ConsistentHashRing {
  /** Points per shard this ring was built with. */
  readonly virtualNodesPerShard: number;
  /** The shard that owns `key`. */
  shardFor(key: string): string;
  /** The shard ids in the placement order they were given. */
  shards(): readonly string[];
  /** A new ring with `shardId` appended; throws if it is already present. */
  withShard(shardId: string): ConsistentHashRing;
  /** A new ring without `shardId`; throws if absent or if it is the last shard. */
  withoutShard(shardId: string): ConsistentHashRing;
}

/**
 * Builds a ring, validating the configuration first.
 *
 * Throws RangeError when the configuration is invalid (no shards, duplicate or
 * malformed ids, counts outside the limits in ./limits), so callers can map
 * one error class to "invalid argument".
 */
export function createConsistentHashRing(options: ConsistentHashRingOptions): ConsistentHashRing {
  assertRingOptions(options);
  return new Ring([...options.shards], options.virtualNodesPerShard);
}

/**
 * Throws RangeError unless `options` describes a ring this module can build.
 * Exported so a routing table can be validated without building its ring.
 */
export function assertRingOptions(options: ConsistentHashRingOptions): void {
  const { shards, virtualNodesPerShard } = options;
  if (shards.length === 0) invalid("a ring needs at least one shard");
  if (shards.length > SHARD_COUNT_MAX) {
    invalid(`a ring may have at most ${SHARD_COUNT_MAX} shards, got ${shards.length}`);
  }
  if (
    !Number.isInteger(virtualNodesPerShard) ||
    virtualNodesPerShard < VIRTUAL_NODES_PER_SHARD_MIN ||
    virtualNodesPerShard > VIRTUAL_NODES_PER_SHARD_MAX
  ) {
    invalid(
      `virtualNodesPerShard must be an integer in ${VIRTUAL_NODES_PER_SHARD_MIN}..` +
        `${VIRTUAL_NODES_PER_SHARD_MAX}, got ${virtualNodesPerShard}`,
    );
  }
  const pointCount = shards.length * virtualNodesPerShard;
  if (pointCount > RING_POINT_COUNT_MAX) {
    invalid(`a ring may hold at most ${RING_POINT_COUNT_MAX} points, got ${pointCount}`);
  }
  const seen = new Set<string>();
  for (const shardId of shards) {
    assertShardId(shardId);
    if (seen.has(shardId)) invalid(`duplicate shard id ${JSON.stringify(shardId)}`);
    seen.add(shardId);
  }
}

/** Throws RangeError unless `shardId` matches SHARD_ID_PATTERN and SHARD_ID_LENGTH_MAX. */
export function assertShardId(shardId: string): void {
  if (typeof shardId !== "string" || shardId.length === 0 || shardId.length > SHARD_ID_LENGTH_MAX) {
    invalid(`a shard id must be 1..${SHARD_ID_LENGTH_MAX} characters, got ${JSON.stringify(shardId)}`);
  }
  if (!SHARD_ID_PATTERN.test(shardId)) {
    invalid(`shard id ${JSON.stringify(shardId)} does not match ${SHARD_ID_PATTERN}`);
  }
}

class Ring implements ConsistentHashRing {
  readonly virtualNodesPerShard: number;
  readonly #placement: readonly string[];
  /** Shard ids sorted by code unit; a point's owner is an index into this. */
  readonly #sortedIds: readonly string[];
  /** Distinct point positions, strictly increasing. */
  readonly #points: Uint32Array;
  /** #owners[i] is the index in #sortedIds of the shard owning #points[i]. */
  readonly #owners: Uint16Array;

  constructor(placement: string[], virtualNodesPerShard: number) {
    this.virtualNodesPerShard = virtualNodesPerShard;
    this.#placement = Object.freeze(placement);
    this.#sortedIds = Object.freeze([...placement].sort(compareCodeUnits));
    const { points, owners } = buildPoints(this.#sortedIds, virtualNodesPerShard);
    this.#points = points;
    this.#owners = owners;
  }

  shardFor(key: string): string {
    const index = firstPointAtOrAfter(this.#points, hash32(key));
    // Past the highest point, the circle wraps to the lowest one. The ring
    // always has a point (buildPoints asserts it) and every owner is an index
    // into #sortedIds, so both lookups are defined.
    const owner = this.#owners[index === this.#points.length ? 0 : index]!;
    return this.#sortedIds[owner]!;
  }

  shards(): readonly string[] {
    return this.#placement;
  }

  withShard(shardId: string): ConsistentHashRing {
    if (this.#placement.includes(shardId)) {
      invalid(`shard ${JSON.stringify(shardId)} is already on the ring`);
    }
    return createConsistentHashRing({
      shards: [...this.#placement, shardId],
      virtualNodesPerShard: this.virtualNodesPerShard,
    });
  }

  withoutShard(shardId: string): ConsistentHashRing {
    if (!this.#placement.includes(shardId)) {
      invalid(`shard ${JSON.stringify(shardId)} is not on the ring`);
    }
    return createConsistentHashRing({
      shards: this.#placement.filter((id) => id !== shardId),
      virtualNodesPerShard: this.virtualNodesPerShard,
    });
  }
}

/**
 * Places every virtual node and sorts them by position. Where two points land
 * on the same position, the shard whose id sorts first keeps it and the other
 * is dropped. That rule compares only the two ids involved, so it gives the
 * same answer in every ring containing both, preserving minimal movement.
 */
function buildPoints(
  sortedIds: readonly string[],
  virtualNodesPerShard: number,
): { points: Uint32Array; owners: Uint16Array } {
  // Packing (position, id rank) into one float64 lets a typed-array sort,
  // which needs no comparator, order a million entries quickly. The limits
  // module asserts these packed keys stay exact.
  const packed = new Float64Array(sortedIds.length * virtualNodesPerShard);
  let next = 0;
  sortedIds.forEach((shardId, rank) => {
    for (let i = 0; i < virtualNodesPerShard; i++) {
      packed[next++] = hash32(`${shardId}#${i}`) * SHARD_COUNT_MAX + rank;
    }
  });
  packed.sort();

  const points = new Uint32Array(packed.length);
  const owners = new Uint16Array(packed.length);
  let count = 0;
  for (const entry of packed) {
    const point = Math.floor(entry / SHARD_COUNT_MAX);
    if (count > 0 && points[count - 1] === point) continue;
    points[count] = point;
    owners[count] = entry - point * SHARD_COUNT_MAX;
    count++;
  }
  if (count === 0) throw new Error("ring invariant broken: no points");
  return { points: points.slice(0, count), owners: owners.slice(0, count) };
}

/** Binary search: the index of the first point >= target, or points.length. */
function firstPointAtOrAfter(points: Uint32Array, target: number): number {
  let low = 0;
  let high = points.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (points[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Orders strings by UTF-16 code unit, which unlike localeCompare never varies by runtime. */
function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

function invalid(message: string): never {
  throw new RangeError(`invalid routing configuration: ${message}`);
}
