/**
 * Workloads whose system support has not landed yet. They are listed in
 * every result as "not yet measured" until their module lands; no figure is
 * invented for them. (Empty now: the bank transfers and the query set moved
 * to `index.ts` when transactions and queries landed on main.)
 *
 * To add one: write a ReadyWorkload in its own file, using a Driver method
 * that every system implements in its own way, then list it in `index.ts`.
 */
import type { PendingWorkload } from "./types.js";

export const pendingWorkloads: readonly PendingWorkload[] = [];
