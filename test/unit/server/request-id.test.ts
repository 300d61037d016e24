import { describe, expect, it } from "vitest";
import { REQUEST_ID_LENGTH_MAX } from "../../../src/limits.js";
import { requestIdFrom } from "../../../src/server/request-id.js";

const withId = (id: string) => new Headers({ "x-request-id": id });

describe("request ids", () => {
  it("keeps a sane caller id as given", () => {
    for (const id of ["a", "req-1.2:3_X", "x".repeat(REQUEST_ID_LENGTH_MAX)]) expect(requestIdFrom(withId(id), () => "fresh")).toBe(id);
  });

  it("replaces a missing, empty, long or unsafe id with a fresh one", () => {
    for (const id of ["", "x".repeat(REQUEST_ID_LENGTH_MAX + 1), "a b", "a\"b", "<script>", "é", "a/b"]) {
      expect(requestIdFrom(withId(id), () => "fresh")).toBe("fresh");
    }
    expect(requestIdFrom(new Headers(), () => "fresh")).toBe("fresh");
    expect(requestIdFrom(new Headers())).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
