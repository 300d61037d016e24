import { describe, expect, it } from "vitest";
import { checkSerializable, type RecordedTransaction } from "../../support/history-checker.js";

const t = (id: string, reads: Array<[string, number]>, writes: Array<[string, number]>, committed = true): RecordedTransaction => ({
  id,
  reads: reads.map(([key, version]) => ({ key, version })),
  writes: writes.map(([key, version]) => ({ key, version })),
  committed,
});

describe("history checker", () => {
  it("accepts a serial history", () => {
    const verdict = checkSerializable([t("T1", [["x", 0]], [["x", 1]]), t("T2", [["x", 1]], [["x", 2]]), t("T3", [["x", 2], ["y", 0]], [])]);
    expect(verdict).toMatchObject({ ok: true, transactions: 3 });
  });

  it("flags a lost update", () => {
    // Both read x at 0 and both wrote it: one update is lost.
    const verdict = checkSerializable([t("T1", [["x", 0]], [["x", 1]]), t("T2", [["x", 0]], [["x", 2]])]);
    expect(verdict).toMatchObject({ ok: false, anomaly: "cycle" });
  });

  it("flags write skew", () => {
    const verdict = checkSerializable([
      t("T1", [["x", 0], ["y", 0]], [["x", 1]]),
      t("T2", [["x", 0], ["y", 0]], [["y", 1]]),
    ]);
    expect(verdict).toMatchObject({ ok: false, anomaly: "cycle" });
  });

  it("flags a dirty read of an aborted write", () => {
    const verdict = checkSerializable([t("T1", [], [["x", 5]], false), t("T2", [["x", 5]], [])]);
    expect(verdict).toMatchObject({ ok: false, anomaly: "dirty_read" });
  });

  it("flags a fractured read across two documents", () => {
    // T1 wrote x and y together; T2 saw the new x but the old y.
    const verdict = checkSerializable([t("T1", [], [["x", 1], ["y", 1]]), t("T2", [["x", 1], ["y", 0]], [])]);
    expect(verdict).toMatchObject({ ok: false, anomaly: "cycle" });
  });

  it("ignores aborted transactions and accepts versions from before the history", () => {
    const verdict = checkSerializable([t("T1", [["x", 7]], [["x", 9]]), t("T2", [["x", 7]], [["x", 8]], false)], new Map([["x", 7]]));
    expect(verdict).toMatchObject({ ok: true });
  });
});
