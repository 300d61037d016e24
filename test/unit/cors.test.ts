import { describe, expect, it } from "vitest";
import { corsHeaders, preflightResponse } from "../../src/server/cors.js";

describe("CORS", () => {
  it("allows listed origins only, and varies on Origin", () => {
    const allowed = "https://app.example.com, https://admin.example.com";
    expect(corsHeaders("https://app.example.com", allowed)?.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(corsHeaders("https://app.example.com", allowed)?.get("Vary")).toBe("Origin");
    expect(corsHeaders("https://evil.example.com", allowed)).toBeNull();
    expect(preflightResponse("https://evil.example.com", allowed).status).toBe(403);
    expect(corsHeaders(null, allowed)).toBeNull();
  });

  it("'*' allows any origin", () => {
    expect(corsHeaders("http://localhost:3000", "*")?.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("lets browsers send the impossibledb-database and x-request-id headers", () => {
    const allowedHeaders = preflightResponse("http://localhost:3000", "*").headers.get("Access-Control-Allow-Headers")!.split(", ");
    expect(allowedHeaders).toEqual(expect.arrayContaining(["impossibledb-database", "x-request-id"]));
  });
});

describe("exposed headers", () => {
  it("lets browsers read a rate limit's retry-after and RetryInfo (grpc-status-details-bin)", () => {
    const exposed = corsHeaders("https://app.example", "*")!.get("Access-Control-Expose-Headers")!.toLowerCase().split(/, */);
    expect(exposed).toContain("retry-after");
    expect(exposed).toContain("grpc-status-details-bin");
  });

  it("lets browsers read the routing headers: the table a call was routed by, and a cutover's pause", () => {
    const exposed = corsHeaders("https://app.example", "*")!.get("Access-Control-Expose-Headers")!.toLowerCase().split(/, */);
    expect(exposed).toContain("impossibledb-routing-version");
    expect(exposed).toContain("impossibledb-rerouted-ms");
  });
});
