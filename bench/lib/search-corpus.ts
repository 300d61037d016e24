/**
 * The search benchmark's corpus: seeded, so every system indexes the same
 * documents. A vocabulary of VOCABULARY_SIZE made-up words drawn with
 * Zipfian popularity (a few very common words, a long tail of rare ones,
 * as in natural text); each document has a title (3 to 8 words) and a
 * body (20 to 60 words); 2% of bodies hold the phrase "open source".
 * The query shapes name words by popularity rank, so they mean the same
 * thing at every corpus size.
 */
import { createRandom, createZipfian } from "./keys.js";

/** Distinct words. */
export const VOCABULARY_SIZE = 20_000;

/** One document of the corpus. */
export interface SearchDoc {
  readonly id: string;
  readonly title: string;
  readonly body: string;
}

/** A pronounceable made-up word for rank `i`: three syllables or more (so typo tolerance applies), distinct per rank. */
export function wordOf(i: number): string {
  const consonants = "bcdfghjklmnprstvz";
  const vowels = "aeiou";
  let n = i;
  let word = "";
  for (let syllables = 0; syllables < 3 || n > 0; syllables++) {
    word += consonants[n % consonants.length]! + vowels[Math.floor(n / consonants.length) % vowels.length]!;
    n = Math.floor(n / (consonants.length * vowels.length));
  }
  return word;
}

/** `count` documents from `seed`. */
export function searchCorpus(count: number, seed: number): SearchDoc[] {
  const random = createRandom(seed);
  const zipf = createZipfian(VOCABULARY_SIZE, random, 0.9);
  const words = (min: number, max: number) => Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, () => wordOf(zipf()));
  return Array.from({ length: count }, (_, i) => {
    const body = words(20, 60);
    if (random() < 0.02) body.splice(Math.floor(random() * body.length), 0, "open", "source");
    return { id: `doc${String(i).padStart(6, "0")}`, title: words(3, 8).join(" "), body: body.join(" ") };
  });
}

/** A query shape: our search text and PostgreSQL's tsquery for the same thing. */
export interface SearchShape {
  readonly name: string;
  readonly text: string;
  readonly tsquery: string;
  /** Typo tolerance off (PostgreSQL has none either way). */
  readonly exact?: boolean;
}

/** The shapes measured. */
export function searchShapes(): SearchShape[] {
  const common = wordOf(0);
  const rare = wordOf(4_000);
  const [a, b] = [wordOf(40), wordOf(60)];
  const prefix = wordOf(3).slice(0, 3);
  return [
    { name: "rare term", text: rare, tsquery: rare },
    { name: "rare term, exact", text: rare, tsquery: rare, exact: true },
    { name: "common term", text: common, tsquery: common },
    { name: "two terms", text: `${a} ${b}`, tsquery: `${a} & ${b}` },
    { name: "prefix", text: `${prefix}*`, tsquery: `${prefix}:*` },
    { name: "phrase", text: '"open source"', tsquery: "open <-> source" },
  ];
}
