/**
 * TransactionService. The contract is fixed; two-phase commit through the
 * coordinator Durable Object arrives with the transactions milestone, and
 * until then every method answers UNIMPLEMENTED.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { unimplemented } from "./unimplemented.js";

const MILESTONE = "distributed transactions (two-phase commit)";

/** Creates the TransactionService implementation. */
export function createTransactionService(): ServiceImpl<typeof TransactionService> {
  return {
    beginTransaction: () => unimplemented("BeginTransaction", MILESTONE),
    getDocuments: () => unimplemented("GetDocuments", MILESTONE),
    commit: () => unimplemented("Commit", MILESTONE),
    rollback: () => unimplemented("Rollback", MILESTONE),
    commitBatch: () => unimplemented("CommitBatch", MILESTONE),
  };
}
