/**
 * Live updates for a collection: a Listen stream (QueryService.Listen) on
 * the collection while a panel shows it. The initial snapshot is skipped
 * (the panel has loaded the page itself); after it, every message with
 * changes bumps `generation` (the panel reloads its page) and names the
 * last change. On a broken stream it reconnects with its last resume
 * token, after a pause that doubles up to LIVE_RECONNECT_DELAY_MAX_MS, so
 * no change is missed while the panel stays open.
 */
import { useEffect, useState } from "preact/hooks";
import { DocumentChange_Type } from "../../gen/impossibledb/v1/query_service_pb.js";
import { useClients } from "./connection.js";
import { describeError, type ShownError } from "./errors.js";

/** The first pause before reconnecting a broken stream, in ms. */
export const LIVE_RECONNECT_DELAY_FIRST_MS = 250;
/** The longest pause before reconnecting, in ms. */
export const LIVE_RECONNECT_DELAY_MAX_MS = 8_000;

/** What the panel shows of a collection's live stream. */
export interface LiveChanges {
  /** True once the stream is current (connected and caught up). */
  readonly live: boolean;
  /** Grows by one for every message with changes. */
  readonly generation: number;
  /** The last change, as "modified ada", or null before the first. */
  readonly last: string | null;
  /** Why the stream is down, while it is. */
  readonly error: ShownError | null;
}

const TYPE_NAMES: Record<number, string> = {
  [DocumentChange_Type.ADDED]: "added",
  [DocumentChange_Type.MODIFIED]: "modified",
  [DocumentChange_Type.REMOVED]: "removed",
};

/** Listens to `collection` while the calling component is mounted. */
export function useLiveChanges(collection: string): LiveChanges {
  const { queries } = useClients();
  const [state, setState] = useState<LiveChanges>({ live: false, generation: 0, last: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    void (async () => {
      let resumeToken = "";
      let delayMs = LIVE_RECONNECT_DELAY_FIRST_MS;
      while (!controller.signal.aborted) {
        try {
          let snapshotDone = resumeToken !== "";
          for await (const message of queries.listen({ target: { case: "query", value: { collection } }, resumeToken }, { signal: controller.signal })) {
            if (message.resumeToken !== "") resumeToken = message.resumeToken;
            if (message.current) {
              delayMs = LIVE_RECONNECT_DELAY_FIRST_MS;
              setState((s) => ({ ...s, live: true, error: null }));
            }
            if (!snapshotDone) {
              snapshotDone = message.current;
              continue;
            }
            const change = message.changes.at(-1);
            if (change !== undefined) {
              const last = `${TYPE_NAMES[change.type] ?? "changed"} ${change.document?.id ?? ""}`;
              setState((s) => ({ ...s, generation: s.generation + 1, last }));
            }
          }
        } catch (err) {
          if (controller.signal.aborted) return;
          setState((s) => ({ ...s, live: false, error: describeError(err) }));
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, LIVE_RECONNECT_DELAY_MAX_MS);
      }
    })();
    return () => controller.abort();
  }, [queries, collection]);
  return state;
}
