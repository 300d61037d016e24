/**
 * Document ids the server chooses (AddDocument): AUTO_ID_LENGTH characters
 * drawn uniformly from the 62 letters and digits, as Firestore's auto-ids
 * are. 62^20 is about 2^119, so two ids never collide in practice.
 *
 * Uniform means no modulo bias: a random byte is 0..255, and 256 is not a
 * multiple of 62, so `byte % 62` would favour the first 8 letters. Bytes of
 * 248 (4 × 62) or more are thrown away and the rest map evenly.
 */
import { AUTO_ID_LENGTH } from "../limits.js";

/** The alphabet of auto-ids, 62 letters: A-Z, a-z, 0-9. */
export const AUTO_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** The largest multiple of the alphabet's size that fits in a byte: bytes below it are used. */
const UNBIASED_BYTE_LIMIT = 256 - (256 % AUTO_ID_ALPHABET.length);

/** Fills a byte array with random bytes; crypto.getRandomValues unless a test injects one. */
export type RandomBytes = (bytes: Uint8Array) => void;

const cryptoBytes: RandomBytes = (bytes) => {
  crypto.getRandomValues(bytes);
};

/**
 * A new auto-id. Each round draws a few more bytes than it needs (about 3%
 * are rejected); the loop is bounded because a source that never yields a
 * usable byte is broken, not unlucky.
 */
export function autoId(random: RandomBytes = cryptoBytes): string {
  let id = "";
  const bytes = new Uint8Array(AUTO_ID_LENGTH * 2);
  for (let round = 0; round < AUTO_ID_ROUNDS_MAX && id.length < AUTO_ID_LENGTH; round++) {
    random(bytes);
    for (const byte of bytes) {
      if (byte >= UNBIASED_BYTE_LIMIT) continue;
      id += AUTO_ID_ALPHABET[byte % AUTO_ID_ALPHABET.length];
      if (id.length === AUTO_ID_LENGTH) return id;
    }
  }
  throw new Error("invariant broken: the random source gave no usable bytes");
}

/** Rounds of random bytes before the source is declared broken; one almost always suffices. */
const AUTO_ID_ROUNDS_MAX = 16;
