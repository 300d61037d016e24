import { describe, expect, it } from "vitest";
import { FailureError } from "../../src/errors.js";
import { createWithAutoId } from "../../src/ids/create-with-auto-id.js";
import { AUTO_ID_ATTEMPTS_MAX } from "../../src/limits.js";
import type { ShardWriteOutcome } from "../../src/storage/types.js";

const created = (id: string): ShardWriteOutcome => ({
  ok: true,
  results: [{ collection: "c", id, existed: true, updateTimeMs: 1, document: { collection: "c", id, data: {}, version: 1, createTimeMs: 1, updateTimeMs: 1 } }],
});
const taken: ShardWriteOutcome = { ok: false, kind: "already_exists", message: "exists", index: 0 };

describe("AddDocument's id loop", () => {
  it("tries a fresh id when the chosen one is taken", async () => {
    const ids = ["first", "second"];
    const tried: string[] = [];
    const doc = await createWithAutoId(async (id) => (tried.push(id), id === "first" ? taken : created(id)), () => ids.shift()!);
    expect(doc.id).toBe("second");
    expect(tried).toEqual(["first", "second"]);
  });

  it("gives up with ALREADY_EXISTS after AUTO_ID_ATTEMPTS_MAX taken ids, and passes other failures on at once", async () => {
    let calls = 0;
    const err = await createWithAutoId(async () => (calls++, taken), () => `id${calls}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailureError);
    expect((err as FailureError).kind).toBe("already_exists");
    expect(calls).toBe(AUTO_ID_ATTEMPTS_MAX);
    calls = 0;
    const tooBig = await createWithAutoId(async () => (calls++, { ok: false, kind: "resource_exhausted", message: "big", index: 0 }), () => "x").catch((e: unknown) => e);
    expect((tooBig as FailureError).kind).toBe("resource_exhausted");
    expect(calls).toBe(1);
  });
});
