/**
 * The fetch handler finds an RPC by the request's path, read from the URL
 * without a URL parser (src/server/url-path.ts): the path must
 * be exactly what the request line sent, without query or fragment.
 */
import { describe, expect, it } from "vitest";
import { pathOf } from "../../../src/server/url-path.js";

describe("pathOf", () => {
  it("reads the path of an absolute URL, without its query or fragment", () => {
    expect(pathOf("http://127.0.0.1:8787/impossibledb.v1.CollectionService/GetDocument")).toBe("/impossibledb.v1.CollectionService/GetDocument");
    expect(pathOf("https://db.example/impossibledb.v1.CollectionService/GetDocument?connect=v1&encoding=json&message=%7B%7D")).toBe(
      "/impossibledb.v1.CollectionService/GetDocument",
    );
    expect(pathOf("http://h/healthz#x")).toBe("/healthz");
    expect(pathOf("http://h/a?b#c")).toBe("/a");
    expect(pathOf("http://h/a#b?c")).toBe("/a");
  });

  it("answers / for a URL without a path, and leaves dot segments and escapes as sent (they match no RPC)", () => {
    expect(pathOf("http://h")).toBe("/");
    expect(pathOf("http://h?x=/y")).toBe("/");
    expect(pathOf("http://h/")).toBe("/");
    expect(pathOf("http://h/a/../impossibledb.v1.CollectionService/GetDocument")).toBe("/a/../impossibledb.v1.CollectionService/GetDocument");
    expect(pathOf("http://h/%69mpossibledb")).toBe("/%69mpossibledb");
  });

  it("agrees with the URL parser on every path an RPC, the health check or the console has", () => {
    for (const path of ["/impossibledb.v1.QueryService/RunQuery", "/healthz", "/console/", "/console/assets/index.js", "/"]) {
      const url = `http://127.0.0.1:8787${path}?q=1`;
      expect(pathOf(url)).toBe(new URL(url).pathname);
    }
  });
});
