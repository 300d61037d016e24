/**
 * AdminService's security rules RPCs: SetRules checks every condition
 * (rules/rule-set.ts) before the database's shard manager stores the set,
 * and installs it in this isolate's cache at once; GetRules reads the
 * stored set.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { GetRulesResponseSchema, RulesSchema, SetRulesResponseSchema, type GetRulesResponse, type Rules, type SetRulesRequest, type SetRulesResponse } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { FailureError } from "../errors.js";
import { checkRuleSet, type StoredRules } from "../rules/rule-set.js";
import { cacheRules, rulesStub } from "../rules/rules-cache.js";
import { envOf } from "../server/context.js";

/** SetRules: replaces the database's rules; INVALID_ARGUMENT (with line and column) for one that does not compile. */
export async function setRules(req: SetRulesRequest, ctx: HandlerContext): Promise<SetRulesResponse> {
  if (req.rules === undefined) throw new FailureError("invalid_argument", "rules is required");
  const collections = req.rules.collections.map((c) => ({ collection: c.collection, read: c.read, write: c.write }));
  const problem = checkRuleSet(collections);
  if (problem !== null) throw new FailureError(problem.kind, problem.message);
  const env = envOf(ctx);
  const stored = await rulesStub(env).setRules(collections, Date.now());
  cacheRules(env, stored);
  return create(SetRulesResponseSchema, { rules: toWire(stored) });
}

/** GetRules: the database's rules as stored. */
export async function getRules(ctx: HandlerContext): Promise<GetRulesResponse> {
  const stored = await rulesStub(envOf(ctx)).rules();
  return create(GetRulesResponseSchema, { rules: toWire(stored) });
}

function toWire(stored: StoredRules): Rules {
  return create(RulesSchema, {
    collections: stored.collections.map((c) => ({ collection: c.collection, read: c.read, write: c.write })),
    updateTime: stored.updateTimeMs === null ? undefined : timestampFromMs(stored.updateTimeMs),
  });
}
