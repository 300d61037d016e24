/**
 * YCSB's record: ten fields (field0..field9) of 100 characters each, about
 * 1 KB of JSON. Values come from the seeded PRNG, so every system stores
 * the same bytes.
 */
import type { Document } from "../systems/types.js";

export const FIELD_COUNT = 10;
export const FIELD_LENGTH = 100;
const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

function field(random: () => number): string {
  let s = "";
  for (let i = 0; i < FIELD_LENGTH; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return s;
}

export function createDocument(random: () => number): Document {
  const doc: Document = {};
  for (let i = 0; i < FIELD_COUNT; i++) doc[`field${i}`] = field(random);
  return doc;
}

/** The document with one field rewritten (the "modify" of read-modify-write). */
export function modifyOneField(doc: Document, random: () => number): Document {
  return { ...doc, [`field${Math.floor(random() * FIELD_COUNT)}`]: field(random) };
}
