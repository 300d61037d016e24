import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LeaseTable, quietPastLease } from "../../../src/sync/read-lock-lease.js";
import type { Phase } from "../../../src/sync/twoPhaseCommit.js";

const LEASE_MS = 1_000;

describe("the lease on being waited for (read-lock-lease.ts)", () => {
  it("an undecided transaction not heard from for longer than the lease is quiet; one heard from within it is not", () => {
    const view = { phase: "idle" as const, committing: false, heardMs: 10_000 };
    expect(quietPastLease(view, 10_000 + LEASE_MS, LEASE_MS)).toBe(false);
    expect(quietPastLease(view, 10_000 + LEASE_MS + 1, LEASE_MS)).toBe(true);
    // No record at the coordinator (it never registered there): the same rule.
    expect(quietPastLease({ ...view, phase: null }, 10_000 + LEASE_MS + 1, LEASE_MS)).toBe(true);
  });

  it("a transaction that is committing, or decided, is never quiet, however long ago it was heard from (property)", () => {
    const phases: Array<Phase | null> = [null, "idle", "preparing", "committed", "aborted"];
    fc.assert(
      fc.property(fc.constantFrom(...phases), fc.boolean(), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e6 }), (phase, committing, heardMs, sinceMs) => {
        const quiet = quietPastLease({ phase, committing, heardMs }, heardMs + sinceMs, LEASE_MS);
        expect(quiet).toBe((phase === null || phase === "idle") && !committing && sinceMs > LEASE_MS);
      }),
    );
  });

  it("each call renews the lease: a transaction that keeps calling stays waited for", () => {
    const table = new LeaseTable(10);
    for (let t = 0; t <= 10 * LEASE_MS; t += LEASE_MS / 2) {
      table.heard("tx", t, 60_000);
      const view = { phase: "idle" as const, committing: false, heardMs: table.lastHeardMs("tx", t + LEASE_MS, 60_000) };
      expect(quietPastLease(view, t + LEASE_MS, LEASE_MS)).toBe(false);
    }
  });

  it("a transaction never heard of (a restarted coordinator) starts its lease at first sight: never aborted at once", () => {
    const table = new LeaseTable(10);
    expect(table.lastHeardMs("unknown", 5_000, 60_000)).toBe(5_000);
    expect(table.lastHeardMs("unknown", 5_500, 60_000)).toBe(5_000);
    expect(quietPastLease({ phase: "idle", committing: false, heardMs: 5_000 }, 5_000 + LEASE_MS + 1, LEASE_MS)).toBe(true);
  });

  it("stays within its bound: entries past their deadline go first, then the ones heard from longest ago; a forgotten one starts again", () => {
    const table = new LeaseTable(3);
    table.heard("expired", 0, 100);
    table.heard("a", 50, 60_000);
    table.heard("b", 60, 60_000);
    table.heard("c", 200, 60_000);
    expect(table.size).toBe(3);
    expect(table.lastHeardMs("a", 300, 60_000)).toBe(50);
    table.heard("a", 400, 60_000); // now the most recent
    table.heard("d", 500, 60_000);
    expect(table.size).toBe(3);
    // b was heard from longest ago and was forgotten: its lease starts again.
    expect(table.lastHeardMs("b", 600, 60_000)).toBe(600);
    table.forget("d");
    expect(table.lastHeardMs("d", 700, 60_000)).toBe(700);
    expect(() => new LeaseTable(0)).toThrow(/invariant/);
  });
});
