/**
 * A rate limit's refusal keeps its retry information through the gRPC front
 * door: a gRPC caller gets RESOURCE_EXHAUSTED with the Worker's
 * google.rpc.RetryInfo detail (which the TypeScript SDK reads) and its
 * retry-after metadata.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { retryInfoDelayMs, serverRetryDelayMs } from "../../../clients/ts/src/retry-info.js";
import { CollectionService } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { rateLimitedError, RETRY_AFTER_HEADER } from "../../../src/errors.js";
import { startRig, type Rig } from "./fake-worker.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe("a rate limit's refusal through the front door", () => {
  it("reaches a gRPC caller with its RetryInfo detail and retry-after", async () => {
    rig = await startRig({
      collection: {
        setDocument() {
          throw rateLimitedError("rate limit reached for this credential", 12_345);
        },
      },
    });
    let error: ConnectError | undefined;
    try {
      await createClient(CollectionService, rig.grpc).setDocument({ ref: { collection: "c", id: "x" }, data: {} });
    } catch (err) {
      error = ConnectError.from(err);
    }
    expect(error?.code).toBe(Code.ResourceExhausted);
    expect(error?.rawMessage).toBe("rate limit reached for this credential");
    expect(retryInfoDelayMs(error!)).toBe(12_345);
    expect(error?.metadata.get(RETRY_AFTER_HEADER)).toBe("13");
    expect(serverRetryDelayMs(error!)).toBe(12_345);
  });
});
