/**
 * The Worker's per-isolate caches (routing tables, rules, database scopes)
 * must never make one request await a fetch another request started: on
 * workerd, when the request that started it ends first (it answered early,
 * its client left, its deadline passed), its I/O is cancelled and the
 * waiting request is cancelled as hung, an HTTP 500 outside Connect (see
 * docs/architecture.md, "Requests never await each other"). Here the first
 * caller's fetch never settles, as a cancelled one does not, and a second
 * caller must still be answered from its own fetch.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import type { Env } from "../../src/env.js";
import { databaseStub } from "../../src/databases/database-env.js";
import type { DatabaseScope } from "../../src/databases/names.js";
import { SHARD_MANAGER_NAME } from "../../src/objects/ShardManager.js";
import type { PublishedRoutingTable } from "../../src/routing/routing-table-store.js";
import { awaitRouting, currentRouting } from "../../src/shards/routing-cache.js";
import { currentRules } from "../../src/rules/rules-cache.js";
import { resolveDatabase } from "../../src/databases/catalog-client.js";

const realEnv = env as unknown as Env;

/** `realEnv` with a replaced shard-manager namespace, addressing `database` when given. */
function envWith(namespace: DurableObjectNamespace, database?: DatabaseScope): Env {
  return { ...realEnv, SHARD_MANAGER: namespace, ...(database === undefined ? {} : { database }) } as unknown as Env;
}

/** The routing table the default database really has (a valid shape for the stubs to answer). */
async function realTable(): Promise<PublishedRoutingTable> {
  const stub = databaseStub<{ routingTable(): Promise<PublishedRoutingTable> }>(realEnv, realEnv.SHARD_MANAGER, SHARD_MANAGER_NAME);
  return stub.routingTable();
}
const NEVER = new Promise<never>(() => {});

/**
 * A shard-manager namespace whose stubs answer `method` with `answer`,
 * except the first call, which never settles. Counts the calls.
 */
function stalledFirstCall(method: string, answer: () => unknown): { namespace: DurableObjectNamespace; calls: () => number } {
  let calls = 0;
  const stub = {
    [method]: () => {
      calls++;
      return calls === 1 ? NEVER : Promise.resolve(answer());
    },
  };
  const namespace = { idFromName: (name: string) => ({ name }), get: () => stub } as unknown as DurableObjectNamespace;
  return { namespace, calls: () => calls };
}

/** `promise`'s value, or "still waiting" if it has not settled after the other caller's answer and a few turns of the event loop. */
async function settledSoon<T>(promise: Promise<T>): Promise<T | "still waiting"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waiting = new Promise<"still waiting">((resolve) => (timer = setTimeout(() => resolve("still waiting"), 200)));
  try {
    return await Promise.race([promise, waiting]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

let scopes = 0;
function freshScope(): DatabaseScope {
  return { id: `crosscache${++scopes}`, uid: `u${scopes}`, placement: {} };
}

describe("per-isolate caches never make a request await another's fetch", () => {
  it("routing: a caller is routed although another caller's table refresh never settles", async () => {
    const table = await realTable();
    const { namespace, calls } = stalledFirstCall("routingTable", () => table);
    const dbEnv = envWith(namespace, freshScope());
    const first = currentRouting(dbEnv);
    const second = await settledSoon(currentRouting(dbEnv));
    expect(second).not.toBe("still waiting");
    expect(second === "still waiting" ? null : second.table.version).toBe(table.version);
    expect(calls()).toBe(2);
    void first;
  });

  it("routing after a moved answer: the wait for a newer table does not join another caller's refresh", async () => {
    const table = await realTable();
    const { namespace } = stalledFirstCall("routingTable", () => table);
    const dbEnv = envWith(namespace, freshScope());
    void currentRouting(dbEnv);
    const waited = await settledSoon(awaitRouting(dbEnv, table.version, 0));
    expect(waited === "still waiting" ? "still waiting" : waited.table.version).toBe(table.version);
  });

  it("rules: a caller gets the rules although another caller's fetch never settles", async () => {
    const { namespace, calls } = stalledFirstCall("rules", () => ({ collections: [] }));
    const dbEnv = envWith(namespace, freshScope());
    void currentRules(dbEnv);
    const second = await settledSoon(currentRules(dbEnv));
    expect(second === "still waiting" ? "still waiting" : second.size).toBe(0);
    expect(calls()).toBe(2);
  });

  it("databases: a caller's database is resolved although another caller's lookup never settles", async () => {
    const scope = freshScope();
    const { namespace, calls } = stalledFirstCall("getDatabase", () => ({ ...scope, createTimeMs: 1, state: "active" }));
    const dbEnv = envWith(namespace);
    void resolveDatabase(dbEnv, scope.id);
    const second = await settledSoon(resolveDatabase(dbEnv, scope.id));
    expect(second === "still waiting" ? "still waiting" : second.uid).toBe(scope.uid);
    expect(calls()).toBe(2);
  });
});
