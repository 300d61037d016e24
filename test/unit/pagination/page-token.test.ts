import { describe, expect, it } from "vitest";
import { decodePageToken, encodePageToken } from "../../../src/pagination/page-token.js";

describe("page tokens", () => {
  it("round-trip their payload for the same scope and key", async () => {
    const token = await encodePageToken("k", "list:users", { after: "u1" });
    expect(await decodePageToken("k", "list:users", token)).toEqual({ ok: true, payload: { after: "u1" } });
  });

  it("are refused under another key, another scope, or when altered", async () => {
    const token = await encodePageToken("k", "list:users", "u1");
    expect(await decodePageToken("other", "list:users", token)).toMatchObject({ ok: false, kind: "invalid_argument" });
    expect(await decodePageToken("k", "list:orders", token)).toMatchObject({ ok: false, message: /different request/ });
    const [body, mac] = token.split(".");
    const flipped = body!.slice(0, -1) + (body!.endsWith("A") ? "B" : "A");
    expect(await decodePageToken("k", "list:users", `${flipped}.${mac}`)).toMatchObject({ ok: false, kind: "invalid_argument" });
    expect(await decodePageToken("k", "list:users", "garbage")).toMatchObject({ ok: false });
    expect(await decodePageToken("k", "list:users", "x".repeat(10_000))).toMatchObject({ ok: false });
  });
});
