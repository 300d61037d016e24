/** services/listen-messages.ts: a Listen message's changes cut into runs within a byte budget, in order, none lost. */
import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DocumentChangeSchema, type DocumentChange } from "../../../gen/impossibledb/v1/query_service_pb.js";
import { listenMessageRuns } from "../../../src/services/listen-messages.js";

const change = (id: string): DocumentChange => create(DocumentChangeSchema, { document: { collection: "c", id } });

describe("listenMessageRuns", () => {
  it("keeps every change in order, each run within the budget unless it holds one change, no run empty but a lone one", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 500 }), { maxLength: 60 }), fc.integer({ min: 1, max: 1000 }), (sizes, bytesMax) => {
        const changes = sizes.map((_, i) => change(`d${i}`));
        const sizeOf = (c: DocumentChange) => sizes[Number(c.document!.id.slice(1))]!;
        const runs = listenMessageRuns(changes, sizeOf, bytesMax);
        expect(runs.flat()).toEqual(changes);
        if (changes.length === 0) expect(runs).toEqual([[]]);
        for (const run of runs) {
          if (changes.length > 0) expect(run.length).toBeGreaterThan(0);
          if (run.length > 1) expect(run.reduce((sum, c) => sum + sizeOf(c), 0)).toBeLessThanOrEqual(bytesMax);
        }
        // Greedy: a run ends only where the next change would not fit.
        for (let i = 0; i + 1 < runs.length; i++) {
          const used = runs[i]!.reduce((sum, c) => sum + sizeOf(c), 0);
          expect(used + sizeOf(runs[i + 1]![0]!)).toBeGreaterThan(bytesMax);
        }
      }),
    );
  });

  it("one run for a message within the budget, a lone oversized change alone", () => {
    expect(listenMessageRuns([change("a"), change("b")], () => 10, 100).length).toBe(1);
    expect(listenMessageRuns([change("a"), change("b"), change("c")], (c) => (c.document!.id === "b" ? 500 : 10), 100).map((r) => r.map((c) => c.document!.id))).toEqual([["a"], ["b"], ["c"]]);
  });
});
