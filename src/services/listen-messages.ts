/**
 * Listen's messages within what a gRPC client accepts by default.
 *
 * The listener (watch/listen.ts) hands over a transaction's changes whole,
 * and a transaction may write up to TX_BYTES_MAX (10 MiB) of documents; in
 * one ListenResponse that passed GRPC_MESSAGE_BYTES_DEFAULT_MAX (4 MiB), so
 * a Go or Python client on gRPC failed the stream with RESOURCE_EXHAUSTED.
 * A message's changes are therefore cut into runs of at most
 * RESPONSE_BYTES_MAX of encoded changes (response-budget.ts), sent as
 * consecutive messages; only the last carries the message's resume token
 * and `current` flag. A listener applies changes at a resume token (every
 * SDK does), so it still sees a transaction at once.
 */
import type { DocumentChange } from "../../gen/impossibledb/v1/query_service_pb.js";
import { RESPONSE_BYTES_MAX } from "../limits.js";
import { createResponseBudget } from "./response-budget.js";

/**
 * `changes` in consecutive runs whose encoded sizes (`sizeOf`, bytes) sum
 * to at most `bytesMax`, each run holding at least one change; one empty
 * run when there are none (a checkpoint or heartbeat is still a message).
 */
export function listenMessageRuns(changes: readonly DocumentChange[], sizeOf: (change: DocumentChange) => number, bytesMax: number = RESPONSE_BYTES_MAX): DocumentChange[][] {
  const runs: DocumentChange[][] = [];
  let run: DocumentChange[] = [];
  let budget = createResponseBudget(bytesMax);
  for (const change of changes) {
    const bytes = sizeOf(change);
    if (!budget.tryTake(bytes)) {
      runs.push(run);
      run = [];
      budget = createResponseBudget(bytesMax);
      budget.tryTake(bytes);
    }
    run.push(change);
  }
  runs.push(run);
  return runs;
}
