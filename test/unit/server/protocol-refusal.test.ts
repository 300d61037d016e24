import { describe, expect, it } from "vitest";
import { protocolRefusal } from "../../../src/server/protocol-refusal.js";

const url = "http://x/impossibledb.v1.CollectionService/GetDocument";
const refusal = (method: string, query: string, headers: Record<string, string>) => protocolRefusal(method, `${url}${query}`, new Headers(headers));

describe("protocolRefusal", () => {
  it("a Connect GET: connect=v1 or no connect parameter passes; any other value is invalid_argument", () => {
    expect(refusal("GET", "?connect=v1&encoding=json&message=%7B%7D", {})).toBeNull();
    expect(refusal("GET", "?encoding=json&message=%7B%7D", {})).toBeNull();
    for (const v of ["v2", "v0", "", "1", "v1 "]) expect(refusal("GET", `?connect=${encodeURIComponent(v)}`, {})?.kind, v).toBe("invalid_argument");
  });

  it("a Connect POST: Connect-Protocol-Version 1 or none passes; any other is invalid_argument; other protocols never look at it", () => {
    for (const ct of ["application/json", "application/proto", "application/connect+proto", "application/connect+json"]) {
      expect(refusal("POST", "", { "Content-Type": ct })).toBeNull();
      expect(refusal("POST", "", { "Content-Type": ct, "Connect-Protocol-Version": "1" })).toBeNull();
      expect(refusal("POST", "", { "Content-Type": ct, "Connect-Protocol-Version": "2" })?.kind).toBe("invalid_argument");
    }
    expect(refusal("POST", "", { "Content-Type": "application/grpc-web+proto", "Connect-Protocol-Version": "2" })).toBeNull();
  });

  it("HTTP Content-Encoding on a streaming request is unimplemented (except identity); on a unary Connect request it is Connect's to handle", () => {
    for (const ct of ["application/connect+proto", "application/connect+json", "application/grpc-web+proto", "application/grpc-web", "application/grpc-web+json"]) {
      const r = refusal("POST", "", { "Content-Type": ct, "Content-Encoding": "gzip" });
      expect(r?.kind, ct).toBe("unimplemented");
      expect(r?.message).toMatch(ct.startsWith("application/connect") ? /Connect-Content-Encoding/ : /grpc-encoding/);
      expect(refusal("POST", "", { "Content-Type": ct, "Content-Encoding": "identity" })).toBeNull();
    }
    expect(refusal("POST", "", { "Content-Type": "application/proto", "Content-Encoding": "gzip" })).toBeNull();
    expect(refusal("POST", "", { "Content-Type": "application/json", "Content-Encoding": "br" })).toBeNull();
  });
});
