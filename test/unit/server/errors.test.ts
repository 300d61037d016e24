/** The one map from what a handler throws to a Connect code: the platform's transient failures are UNAVAILABLE, bugs INTERNAL. */
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { FailureError, asConnectError } from "../../../src/errors.js";

const platformError = (message: string, props: Record<string, unknown>) => Object.assign(new Error(message), props);

describe("asConnectError", () => {
  it("answers UNAVAILABLE for a Durable Object reset while the call was in flight, and for retryable or overloaded errors", () => {
    for (const props of [{ durableObjectReset: true }, { retryable: true }, { overloaded: true }]) {
      const err = asConnectError(platformError("injected shard crash", props));
      expect(Code[err.code], JSON.stringify(props)).toBe(Code[Code.Unavailable]);
      expect(err.rawMessage).not.toMatch(/injected/);
    }
  });

  it("keeps a failure's code, and hides a bug's message behind INTERNAL", () => {
    expect(asConnectError(new FailureError("out_of_range", "too old")).code).toBe(Code.OutOfRange);
    const original = console.error;
    console.error = () => {};
    try {
      const err = asConnectError(new TypeError("secret detail"));
      expect(err.code).toBe(Code.Internal);
      expect(err.rawMessage).not.toMatch(/secret/);
    } finally {
      console.error = original;
    }
  });
});
