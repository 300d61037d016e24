import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { addChecksum, applyTerm, emptyChecksum, sameChecksum, type RangeChecksum } from "../../../src/routing/reshard-checksum.js";

interface Doc {
  readonly id: string;
  readonly version: number;
  readonly data: string;
}

function checksumOf(docs: readonly Doc[]): RangeChecksum {
  const c = emptyChecksum();
  for (const d of docs) applyTerm(c, "items", d.id, d.version, d.data, 1);
  return c;
}

const docs = fc.uniqueArray(fc.record({ id: fc.string({ minLength: 1, maxLength: 8 }), version: fc.integer({ min: 1, max: 2 ** 40 }), data: fc.json() }), {
  selector: (d) => d.id,
  maxLength: 40,
});

describe("the resharding checksum (reshard-checksum.ts)", () => {
  it("does not depend on the order documents are added in", () => {
    fc.assert(
      fc.property(docs, fc.integer(), (list, seed) => {
        const shuffled = [...list].sort((a, b) => ((a.id.charCodeAt(0) * seed) % 7) - ((b.id.charCodeAt(0) * seed) % 7));
        expect(checksumOf(shuffled)).toEqual(checksumOf(list));
      }),
    );
  });

  it("removing a document undoes adding it, whatever came between (how the fence adjusts and a target replaces rows)", () => {
    fc.assert(
      fc.property(docs, (list) => {
        fc.pre(list.length > 0);
        const [first, ...rest] = list;
        const c = checksumOf(list);
        applyTerm(c, "items", first!.id, first!.version, first!.data, -1);
        expect(c).toEqual(checksumOf(rest));
      }),
    );
  });

  it("the union of two disjoint sets adds their checksums", () => {
    fc.assert(
      fc.property(docs, (list) => {
        const half = Math.floor(list.length / 2);
        const sum = checksumOf(list.slice(0, half));
        addChecksum(sum, checksumOf(list.slice(half)));
        expect(sum).toEqual(checksumOf(list));
      }),
    );
  });

  it("tells a lost, a duplicated, a stale and an altered document apart from the original", () => {
    const original: Doc[] = Array.from({ length: 50 }, (_, i) => ({ id: `d${i}`, version: 100 + i, data: JSON.stringify({ n: i }) }));
    const base = checksumOf(original);
    const variants: Record<string, Doc[]> = {
      lost: original.slice(1),
      duplicated: [...original, { id: "d0-copy", version: 100, data: original[0]!.data }],
      stale: original.map((d, i) => (i === 7 ? { ...d, version: d.version - 1 } : d)),
      altered: original.map((d, i) => (i === 7 ? { ...d, data: JSON.stringify({ n: -7 }) } : d)),
      "moved to another id": original.map((d, i) => (i === 7 ? { ...d, id: "d7x" } : d)),
    };
    for (const [name, list] of Object.entries(variants)) expect(sameChecksum(checksumOf(list), base), name).toBe(false);
  });

  it("keeps both lanes below 2^32 and the count exact", () => {
    const c = emptyChecksum();
    for (let i = 0; i < 1000; i++) applyTerm(c, "items", `d${i}`, i + 1, "{}", 1);
    for (let i = 0; i < 500; i++) applyTerm(c, "items", `d${i}`, i + 1, "{}", -1);
    expect(c.count).toBe(500);
    for (const lane of [c.lo, c.hi]) expect(Number.isInteger(lane) && lane >= 0 && lane < 2 ** 32).toBe(true);
  });
});
