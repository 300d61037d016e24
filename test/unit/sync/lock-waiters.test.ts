import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { LockWaitQueue } from "../../../src/sync/lock-waiters.js";
import { isOlder } from "../../../src/sync/lock-order.js";

const x = { collection: "c", id: "x" };
const y = { collection: "c", id: "y" };

describe("a shard's queue of retries waiting for locks", () => {
  it("an asker waits only behind older waiters on the documents it asks for", () => {
    const q = new LockWaitQueue(400, 100);
    q.wait({ txId: "old", priority: 10 }, [x], 0);
    q.wait({ txId: "young", priority: 30 }, [x], 0);
    expect(q.olderThan({ txId: "mid", priority: 20 }, [x], 100)).toEqual([{ txId: "old", priority: 10 }]);
    expect(q.olderThan({ txId: "oldest", priority: 5 }, [x], 100)).toEqual([]);
    expect(q.olderThan({ txId: "mid", priority: 20 }, [y], 100)).toEqual([]);
    // A waiter never waits behind itself.
    expect(q.olderThan({ txId: "old", priority: 10 }, [x], 100)).toEqual([]);
  });

  it("forgets a waiter that stopped looking, one that got its locks, and one that finished", () => {
    const q = new LockWaitQueue(400, 100);
    q.wait({ txId: "a", priority: 1 }, [x, y], 0);
    q.wait({ txId: "b", priority: 2 }, [x], 0);
    q.wait({ txId: "b", priority: 2 }, [x], 350); // looked again: remembered longer
    expect(q.olderThan({ txId: "z", priority: 9 }, [x, y], 500).map((w) => w.txId)).toEqual(["b"]);
    expect(q.size).toBe(1);
    q.wait({ txId: "c", priority: 3 }, [x, y], 500);
    q.done("c", [x]);
    expect(q.olderThan({ txId: "z", priority: 9 }, [x], 500).map((w) => w.txId)).toEqual(["b"]);
    q.forgetTransaction("c");
    q.forgetTransaction("b");
    expect(q.olderThan({ txId: "z", priority: 9 }, [x, y], 500)).toEqual([]);
    expect(q.size).toBe(0);
  });

  it("holds at most its bound of pairs, forgetting the longest unseen first", () => {
    const q = new LockWaitQueue(10_000, 3);
    for (let i = 0; i < 5; i++) q.wait({ txId: `t${i}`, priority: i }, [{ collection: "c", id: `d${i}` }], i);
    expect(q.size).toBe(3);
    expect(q.olderThan({ txId: "z", priority: 99 }, [0, 1, 2, 3, 4].map((i) => ({ collection: "c", id: `d${i}` })), 10).map((w) => w.txId)).toEqual(["t2", "t3", "t4"]);
  });

  it("every wait it causes points from a younger retry to an older one, so no cycle of waits can form (property)", () => {
    const op = fc.record({ tx: fc.integer({ min: 0, max: 5 }), doc: fc.integer({ min: 0, max: 2 }), atMs: fc.integer({ min: 0, max: 1_000 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const q = new LockWaitQueue(400, 1_000);
        const waiter = (tx: number) => ({ txId: `t${tx}`, priority: tx % 3 }); // ties broken by id
        for (const o of [...ops].sort((a, b) => a.atMs - b.atMs)) {
          const ref = { collection: "c", id: `d${o.doc}` };
          for (const ahead of q.olderThan(waiter(o.tx), [ref], o.atMs)) expect(isOlder(ahead, waiter(o.tx))).toBe(true);
          q.wait(waiter(o.tx), [ref], o.atMs);
        }
      }),
    );
  });
});
