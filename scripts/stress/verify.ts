/**
 * The check after the storm: every acknowledged write is stored exactly as
 * written, every abandoned one exactly or not at all, and no cut-off body
 * left anything behind. Read one document at a time over Connect binary,
 * the plainest path, with a few calls in flight.
 */
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { CALL_TIMEOUT_MS, mismatch, type Ledger, type StressData } from "./calls.js";

/** Reads in flight during the check. */
const VERIFY_CONCURRENCY = 8;

/** The problems found, one line each (empty when the data is right), and how many documents were checked. */
export async function verifyLedger(ledger: Ledger, transport: Transport, timeoutMs = CALL_TIMEOUT_MS): Promise<{ problems: string[]; checked: number }> {
  const client = createClient(CollectionService, transport);
  const checks: [string, StressData | undefined, "acked" | "maybe" | "never"][] = [
    ...[...ledger.acked].map(([id, data]) => [id, data, "acked"] as [string, StressData, "acked"]),
    ...[...ledger.maybe].map(([id, data]) => [id, data, "maybe"] as [string, StressData, "maybe"]),
    ...[...ledger.never].map((id) => [id, undefined, "never"] as [string, undefined, "never"]),
  ];
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < checks.length) {
      const [id, expected, kind] = checks[next++]!;
      let stored;
      try {
        stored = (await client.getDocument({ ref: { collection: ledger.collection, id } }, { timeoutMs })).document;
      } catch (err) {
        if (err instanceof ConnectError && err.code === Code.NotFound) {
          if (kind === "acked") problems.push(`${id}: acknowledged but not stored`);
          continue;
        }
        problems.push(`${id}: reading it back failed: ${String(err)}`);
        continue;
      }
      if (kind === "never") {
        problems.push(`${id}: its body was cut off, yet it is stored`);
        continue;
      }
      const problem = mismatch(stored?.data, expected!);
      if (problem !== undefined) problems.push(`${id} (${kind}): ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, worker));
  return { problems, checked: checks.length };
}
