import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { connectClient, expectCode } from "./helpers.js";

// These RPCs are part of the v1 contract; later milestones implement them.
// Until then they must say so plainly, and never pretend to work.
describe("not yet implemented RPCs answer Unimplemented", () => {
  const tx = connectClient(TransactionService);

  it.each([
    ["BeginTransaction", () => tx.beginTransaction({})],
    ["GetDocuments", () => tx.getDocuments({ transaction: "t", refs: [{ collection: "a", id: "b" }] })],
    ["Commit", () => tx.commit({ transaction: "t" })],
    ["Rollback", () => tx.rollback({ transaction: "t" })],
    ["CommitBatch", () => tx.commitBatch({ writes: [{ ref: { collection: "a", id: "b" }, operation: { case: "delete", value: {} } }] })],
  ])("%s", async (name, call) => {
    await expectCode(call(), Code.Unimplemented, new RegExp(`${name} is not implemented yet`));
  });
});
