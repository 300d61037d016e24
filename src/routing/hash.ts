/**
 * MurmurHash3 x86_32 (Austin Appleby, public domain algorithm), written here
 * from the published description in SMHasher.
 *
 * Routing needs a hash that is fast, well mixed, and identical on every
 * Worker, every Durable Object and every Node test run, forever: a key's
 * shard is a pure function of this hash, so changing it would silently
 * re-home every document. MurmurHash3 has stable published test vectors, so
 * the unit tests pin this implementation to the specification.
 *
 * Only Web-platform APIs are used (TextEncoder, Math.imul), so the same code
 * runs in workerd and in Node.
 */

/** The name AdminService reports for the ring's hash function. */
export const HASH_FUNCTION_NAME = "murmur3_x86_32";

/** The largest seed MurmurHash3 x86_32 accepts: seeds are unsigned 32-bit. */
export const HASH_SEED_MAX = 0xffff_ffff;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const BLOCK_BYTES = 4;

const encoder = new TextEncoder();

/**
 * Hashes the UTF-8 bytes of `text` to an unsigned 32-bit integer.
 *
 * Strings are hashed as UTF-8 so the result matches any other MurmurHash3
 * implementation fed the same text, whatever language it is written in. A
 * lone UTF-16 surrogate encodes as U+FFFD, as TextEncoder specifies; such
 * strings may therefore share a hash, which for routing only means they share
 * a shard.
 */
export function hash32(text: string, seed = 0): number {
  return hash32Bytes(encoder.encode(text), seed);
}

/**
 * Hashes raw bytes to an unsigned 32-bit integer.
 *
 * Exported so the published byte-level verification procedure can be run
 * against this implementation, and for callers that already hold bytes.
 */
export function hash32Bytes(bytes: Uint8Array, seed = 0): number {
  assertSeed(seed);
  const length = bytes.length;
  const blockEnd = length - (length % BLOCK_BYTES);
  let h = seed | 0;

  for (let i = 0; i < blockEnd; i += BLOCK_BYTES) {
    // Blocks are read little-endian, as the reference implementation does.
    const block = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h ^= scrambleBlock(block);
    h = rotateLeft(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }

  // The one to three trailing bytes are mixed in without the rotation and
  // multiply-add that full blocks get. This is written as ifs rather than the
  // reference's fall-through switch so it passes `noFallthroughCasesInSwitch`.
  const tailBytes = length - blockEnd;
  if (tailBytes > 0) {
    let tail = bytes[blockEnd]!;
    if (tailBytes > 1) tail ^= bytes[blockEnd + 1]! << 8;
    if (tailBytes > 2) tail ^= bytes[blockEnd + 2]! << 16;
    h ^= scrambleBlock(tail);
  }

  // The reference takes the length as a uint32, so it wraps past 4 GiB.
  h ^= length | 0;
  return finalMix(h) >>> 0;
}

function scrambleBlock(block: number): number {
  let k = Math.imul(block, C1);
  k = rotateLeft(k, 15);
  return Math.imul(k, C2);
}

/** The finaliser ("fmix32") forces every input bit to affect every output bit. */
function finalMix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}

function assertSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > HASH_SEED_MAX) {
    throw new RangeError(`hash seed must be an integer in 0..${HASH_SEED_MAX}, got ${seed}`);
  }
}
