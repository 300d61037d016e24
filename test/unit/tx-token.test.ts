/**
 * Transaction ids (src/sync/tx-token.ts): an id signed with the right key
 * but holding values no server makes is refused as INVALID_ARGUMENT. The
 * hostile input campaign (scripts/fuzz.mjs) found forged ids that got
 * through and ended as INTERNAL ("invalid int64", an invalid Date).
 */
import { describe, expect, it } from "vitest";
import { mac, toBase64Url, fromBase64Url } from "../../src/pagination/page-token.js";
import { createTransactionToken, verifyTransactionToken } from "../../src/sync/tx-token.js";
import { readFileSync } from "node:fs";
import { DATABASE_ID_LENGTH_MAX, TX_ID_LENGTH_MAX } from "../../src/limits.js";

const KEY = "test-key";
const NOW_MS = 1_800_000_000_000;
/** Offsets in the id's body, as src/sync/tx-token.ts lays it out. */
const DEADLINE_OFFSET = 16;
const COORDINATOR_OFFSET = 25;
const SNAPSHOT_OFFSET = 26;
const PRIORITY_OFFSET = 34;

/** A real id re-signed after `edit` changed its body. */
async function forged(edit: (body: Uint8Array, view: DataView) => void): Promise<string> {
  const real = await createTransactionToken(KEY, NOW_MS + 60_000, true, { snapshotTs: NOW_MS * 1000, priorityMs: NOW_MS });
  const body = fromBase64Url(real.id.slice("tx2.".length).split(".")[0]!);
  edit(body, new DataView(body.buffer, body.byteOffset));
  const encoded = toBase64Url(body);
  return `tx2.${encoded}.${await mac(KEY, `tx:${encoded}`)}`;
}

describe("transaction ids", () => {
  it("a real id verifies, and re-signing it unchanged still does", async () => {
    const real = await createTransactionToken(KEY, NOW_MS + 60_000, false);
    expect((await verifyTransactionToken(KEY, real.id, NOW_MS)).ok).toBe(true);
    expect((await verifyTransactionToken(KEY, await forged(() => {}), NOW_MS)).ok).toBe(true);
  });

  it("a signed id with impossible times or coordinator is invalid, not a crash", async () => {
    const edits: Array<[string, (body: Uint8Array, view: DataView) => void]> = [
      ["NaN deadline (it never expired)", (_, v) => v.setFloat64(DEADLINE_OFFSET, Number.NaN)],
      ["deadline -1e300 (an invalid Date)", (_, v) => v.setFloat64(DEADLINE_OFFSET, -1e300)],
      ["snapshot 1e300 (an invalid int64)", (_, v) => v.setFloat64(SNAPSHOT_OFFSET, 1e300)],
      ["negative priority", (_, v) => v.setFloat64(PRIORITY_OFFSET, -1)],
      ["coordinator 200", (b) => (b[COORDINATOR_OFFSET] = 200)],
    ];
    for (const [what, edit] of edits) {
      const verified = await verifyTransactionToken(KEY, await forged(edit), NOW_MS);
      expect(verified.ok ? "ok" : verified.kind, what).toBe("invalid_argument");
    }
  });
});

describe("transaction id length", () => {
  it("the id of a database with the longest name, uid and placement fits TX_ID_LENGTH_MAX, the proto's limit", async () => {
    const scope = { id: "d".repeat(DATABASE_ID_LENGTH_MAX), uid: "z".repeat(32), placement: { locationHint: "wnam", jurisdiction: "fedramp-high" } } as const;
    const token = await createTransactionToken(KEY, NOW_MS + 60_000, false, { scope, priorityMs: NOW_MS, locking: true });
    expect(token.id.length).toBeGreaterThan(128);
    expect(token.id.length).toBeLessThanOrEqual(TX_ID_LENGTH_MAX);
    const proto = readFileSync(new URL("../../proto/impossibledb/v1/transaction_service.proto", import.meta.url), "utf8");
    const limits = [...proto.matchAll(/max_len = (\d+)/g)].map((m) => Number(m[1]));
    expect(limits.length).toBe(4);
    expect(limits.every((n) => n === TX_ID_LENGTH_MAX)).toBe(true);
  });
});

