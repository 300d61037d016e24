/**
 * Seeded randomness and YCSB's key choice: a zipfian distribution over the
 * records (Gray et al., "Quickly generating billion-record synthetic
 * databases", as YCSB implements it, theta 0.99), scrambled by a fixed
 * seeded permutation so that the hot records are spread over the key space
 * (and so over shards) instead of being neighbours.
 */

/** YCSB's default zipfian constant. */
export const ZIPFIAN_THETA = 0.99;

/** A seeded PRNG (mulberry32): every run with the same seed issues the same operations. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws record numbers in [0, n) with zipfian popularity (rank 0 most popular). */
export function createZipfian(n: number, random: () => number, theta = ZIPFIAN_THETA): () => number {
  let zetan = 0;
  for (let i = 1; i <= n; i++) zetan += 1 / Math.pow(i, theta);
  const zeta2 = 1 + 1 / Math.pow(2, theta);
  const alpha = 1 / (1 - theta);
  const eta = (1 - Math.pow(2 / n, 1 - theta)) / (1 - zeta2 / zetan);
  return () => {
    const u = random();
    const uz = u * zetan;
    if (uz < 1) return 0;
    if (uz < 1 + Math.pow(0.5, theta)) return 1;
    return Math.min(n - 1, Math.floor(n * Math.pow(eta * u - eta + 1, alpha)));
  };
}

/** The probability of each rank under the zipfian distribution (for the capacity model). */
export function zipfianProbabilities(n: number, theta = ZIPFIAN_THETA): Float64Array {
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += p[i] = 1 / Math.pow(i + 1, theta);
  for (let i = 0; i < n; i++) p[i]! /= sum;
  return p;
}

/** A seeded permutation of [0, n): rank -> record number. */
export function createPermutation(n: number, random: () => number): Uint32Array {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  return perm;
}

/** The document id of record `n` (YCSB's "user" prefix, zero-padded so ids sort like numbers). */
export function recordId(n: number): string {
  return `user${String(n).padStart(10, "0")}`;
}

/** Scrambled zipfian keys over `recordCount` records. */
export function createKeyChooser(recordCount: number, seed: number): () => string {
  const random = createRandom(seed);
  const zipf = createZipfian(recordCount, random);
  const perm = createPermutation(recordCount, createRandom(seed ^ 0x5eed));
  return () => recordId(perm[zipf()]!);
}

/** `count` distinct keys from `next` (for batches: one document may appear once per batch). */
export function distinctKeys(next: () => string, count: number, recordCount: number): string[] {
  if (count > recordCount) throw new RangeError(`a batch of ${count} needs at least ${count} records`);
  const keys = new Set<string>();
  while (keys.size < count) keys.add(next());
  return [...keys];
}
