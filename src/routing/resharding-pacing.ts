/**
 * How the resharding driver paces and records its steps, shared by the
 * driver (resharding-driver.ts) and its PREPARING phase
 * (resharding-prepare.ts): each data-moving step is followed by a rest
 * proportional to its length (the operation's throttle), and progress is
 * saved after each step so a crash resumes from it.
 */
import { throttleOf, type ReshardingOperation } from "./resharding-plan.js";
import type { ReshardingIO } from "./resharding-driver.js";

/**
 * The throttle after a step begun at `stepStartMs` (ms, `io.nowMs()`):
 * sleeps the operation's rest ratio times as long as the step took. The
 * rest is what leaves the shards' thread to requests between steps
 * (local workerd runs every object on one thread).
 */
export async function rest(op: ReshardingOperation, io: ReshardingIO, stepStartMs: number): Promise<void> {
  const restMs = (io.nowMs() - stepStartMs) * throttleOf(op).restRatio;
  if (restMs > 0) await io.sleep(restMs);
}

/** Saves the operation with its update time (ms). */
export function save(op: ReshardingOperation, io: ReshardingIO): void {
  op.updateTimeMs = io.nowMs();
  io.save(op);
}

/** Moves the operation to `phase` and saves it. */
export function moveTo(op: ReshardingOperation, io: ReshardingIO, phase: ReshardingOperation["phase"]): void {
  op.phase = phase;
  save(op, io);
}
