/**
 * AdminService's resharding RPCs: StartResharding, GetResharding and
 * CancelResharding. The operation lives in the database's shard manager
 * (src/objects/ShardManager.ts) and is advanced by its alarm
 * (src/routing/resharding-driver.ts); these handlers only start, read and
 * cancel it, and convert it to the contract's Resharding message.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import {
  ReshardingSchema,
  Resharding_Phase,
  Resharding_State,
  ShardCountAdviceSchema,
  type Resharding,
  type ShardCountAdvice,
} from "../../gen/impossibledb/v1/admin_service_pb.js";
import { databaseStub, scopeOf } from "../databases/database-env.js";
import type { Env } from "../env.js";
import { FailureError, type Failure } from "../errors.js";
import { SHARD_MANAGER_NAME, type ShardManager } from "../objects/ShardManager.js";
import { documentsCopied, documentsScanned, resolveThrottle, throttleOf, type ReshardingOperation } from "../routing/resharding-plan.js";
import { adviseShardCount, SPLIT_REQUESTS_PER_SECOND_MAX, SPLIT_SHARD_BYTES_MAX } from "../routing/split-advice.js";
import { envOf } from "../server/context.js";
import { freshRouting } from "../shards/routing-cache.js";
import { readFromShard, retryIdempotent, type Remote } from "../shards/shard-client.js";

type Manager = Remote<Pick<ShardManager, "startResharding" | "getResharding" | "cancelResharding" | "reshardingRunning">>;

/** The shard manager of the request's database. */
export function reshardingManager(env: Env): Manager {
  return databaseStub<Manager>(env, env.SHARD_MANAGER, SHARD_MANAGER_NAME);
}

/** The three RPCs, for AdminService's implementation. */
export function createReshardingAdmin() {
  return {
    async startResharding(req: { shardCount: number; throttle?: { sourcesAtOnce: number; restRatio?: number } }, ctx: HandlerContext) {
      const env = envOf(ctx);
      const throttle = resolveThrottle(req.throttle);
      if (!throttle.ok) throw new FailureError(throttle.kind, throttle.message);
      const started = await reshardingManager(env).startResharding(scopeOf(env), req.shardCount, undefined, throttle.throttle);
      return { resharding: toResharding(unwrap(started)) };
    },
    async getResharding(_req: unknown, ctx: HandlerContext) {
      const env = envOf(ctx);
      const op = await retryIdempotent(() => reshardingManager(env).getResharding());
      // No advice while a resharding runs: it weighed the shards being
      // emptied or filled and said "keep 10 shards" during a move to 20.
      // It is given again once the run ends (the next GetResharding).
      if (op?.state === "RUNNING") return { resharding: toResharding(op) };
      return { resharding: op === null ? undefined : toResharding(op), advice: await shardCountAdvice(env) };
    },
    async cancelResharding(_req: unknown, ctx: HandlerContext) {
      const cancelled = await reshardingManager(envOf(ctx)).cancelResharding();
      return { resharding: toResharding(unwrap(cancelled)) };
    },
  };
}

/** Refuses a schema change (an index) while a resharding runs: new shards would miss it. */
export async function assertNotResharding(env: Env, what: string): Promise<void> {
  if (await reshardingManager(env).reshardingRunning()) {
    throw new FailureError("failed_precondition", `${what} waits while the database is being resharded; see GetResharding, and try again when it is done`);
  }
}

function unwrap(outcome: { ok: true; operation: ReshardingOperation } | Failure): ReshardingOperation {
  if (!outcome.ok) throw new FailureError(outcome.kind, outcome.message);
  return outcome.operation;
}

async function shardCountAdvice(env: Env): Promise<ShardCountAdvice> {
  // Fresh: right after a cutover a cached table would advise on the old shards.
  const { table } = await freshRouting(env);
  const stats = await Promise.all(table.shards.map((id) => readFromShard(env, id, (s) => s.stats())));
  const advice = adviseShardCount(
    stats.map((s, i) => ({ id: table.shards[i]!, dataBytes: s.dataBytes, requestsPerSecond: s.requestsPerSecond })),
    { shardBytesMax: SPLIT_SHARD_BYTES_MAX, requestsPerSecondMax: SPLIT_REQUESTS_PER_SECOND_MAX },
  );
  return create(ShardCountAdviceSchema, advice);
}

const STATES: Record<ReshardingOperation["state"], Resharding_State> = {
  RUNNING: Resharding_State.RUNNING,
  SUCCEEDED: Resharding_State.SUCCEEDED,
  FAILED: Resharding_State.FAILED,
  CANCELLED: Resharding_State.CANCELLED,
};

const PHASES: Record<ReshardingOperation["phase"], Resharding_Phase> = {
  PREPARING: Resharding_Phase.PREPARING,
  COPYING: Resharding_Phase.COPYING,
  CATCHING_UP: Resharding_Phase.CATCHING_UP,
  CUTTING_OVER: Resharding_Phase.CUTTING_OVER,
  CLEANING_UP: Resharding_Phase.CLEANING_UP,
  ROLLING_BACK: Resharding_Phase.ROLLING_BACK,
  DONE: Resharding_Phase.DONE,
};

/** The contract's form of an operation. */
export function toResharding(op: ReshardingOperation): Resharding {
  return create(ReshardingSchema, {
    id: op.id,
    state: STATES[op.state],
    phase: PHASES[op.phase],
    sourceShardCount: op.source.shards.length,
    targetShardCount: op.target.shards.length,
    sourceRoutingVersion: BigInt(op.source.version),
    targetRoutingVersion: BigInt(op.target.version),
    documentsCopied: BigInt(documentsCopied(op)),
    documentsTotal: BigInt(op.documentsTotal),
    documentsScanned: BigInt(documentsScanned(op)),
    errors: op.errors,
    startTime: timestampFromMs(op.startTimeMs),
    updateTime: timestampFromMs(op.updateTimeMs),
    endTime: op.endTimeMs === null ? undefined : timestampFromMs(op.endTimeMs),
    cutoverMillis: BigInt(op.cutoverStartMs !== null && op.cutoverEndMs !== null ? op.cutoverEndMs - op.cutoverStartMs : 0),
    throttle: throttleOf(op),
  });
}
