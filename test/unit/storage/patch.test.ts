import { describe, expect, it } from "vitest";
import { applyPatch } from "../../../src/storage/patch.js";
import { project } from "../../../src/storage/projection.js";

describe("patches", () => {
  const doc = { a: 1, b: { c: 2, d: 3 }, e: [1, 2] };

  it("without a mask merges top-level fields", () => {
    expect(applyPatch(doc, { a: 9, b: { z: 1 } }, null)).toEqual({ ok: true, data: { a: 9, b: { z: 1 }, e: [1, 2] } });
  });

  it("with a mask sets masked values, keeps siblings, and removes masked paths the patch lacks", () => {
    const out = applyPatch(doc, { b: { c: 20 } }, [["b", "c"], ["e"], ["x", "y"]]);
    expect(out).toEqual({ ok: true, data: { a: 1, b: { c: 20, d: 3 } } });
  });

  it("creates intermediate maps, replacing a scalar in the way", () => {
    expect(applyPatch({ a: 1 }, { a: { b: { c: 1 } } }, [["a", "b", "c"]])).toEqual({ ok: true, data: { a: { b: { c: 1 } } } });
  });

  it("refuses overlapping mask paths and patch fields outside the mask", () => {
    expect(applyPatch(doc, { b: {} }, [["b"], ["b", "c"]])).toMatchObject({ ok: false, message: /overlap/ });
    expect(applyPatch(doc, { a: 1, q: 2 }, [["a"]])).toMatchObject({ ok: false, message: /field q/ });
    expect(applyPatch(doc, { b: { c: 1, zz: 2 } }, [["b", "c"]])).toMatchObject({ ok: false, message: /field b\.zz/ });
  });

  it("never changes its inputs", () => {
    const current = structuredClone(doc);
    const patch = { b: { c: 5 } };
    applyPatch(current, patch, [["b", "c"]]);
    expect(current).toEqual(doc);
    expect(patch).toEqual({ b: { c: 5 } });
  });

  it("does not treat inherited names such as __proto__ or constructor as fields", () => {
    expect(applyPatch({}, {}, [["constructor", "name"]])).toEqual({ ok: true, data: {} });
    expect(project({ a: 1 }, [["toString"]])).toEqual({});
  });
});

describe("projections", () => {
  it("keeps only masked paths, nested ones inside their parents", () => {
    expect(project({ a: 1, b: { c: 2, d: 3 }, e: 4 }, [["b", "c"], ["e"], ["missing", "x"]])).toEqual({ b: { c: 2 }, e: 4 });
  });
});
