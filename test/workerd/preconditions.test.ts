import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService);
const ref = (id: string) => ({ collection: "accounts", id });

describe("preconditions", () => {
  it("exists=true and exists=false guard set and delete", async () => {
    await expectCode(
      db.setDocument({ ref: ref("a"), data: { n: 1 }, precondition: { condition: { case: "exists", value: true } } }),
      Code.FailedPrecondition,
      /does not exist/,
    );
    await expectCode(db.getDocument({ ref: ref("a") }), Code.NotFound);
    await db.setDocument({ ref: ref("a"), data: { n: 1 }, precondition: { condition: { case: "exists", value: false } } });
    await expectCode(
      db.setDocument({ ref: ref("a"), data: { n: 2 }, precondition: { condition: { case: "exists", value: false } } }),
      Code.FailedPrecondition,
      /exists/,
    );
    await expectCode(
      db.deleteDocument({ ref: ref("missing"), precondition: { condition: { case: "exists", value: true } } }),
      Code.FailedPrecondition,
    );
    expect((await db.getDocument({ ref: ref("a") })).document!.data).toEqual({ n: 1 });
  });

  it("an expected version must match exactly", async () => {
    const v1 = (await db.createDocument({ ref: ref("b"), data: { n: 1 } })).document!.version;
    const v2 = (
      await db.updateDocument({ ref: ref("b"), patch: { data: { n: 2 } }, precondition: { condition: { case: "version", value: v1 } } })
    ).document!.version;
    await expectCode(
      db.updateDocument({ ref: ref("b"), patch: { data: { n: 3 } }, precondition: { condition: { case: "version", value: v1 } } }),
      Code.FailedPrecondition,
      new RegExp(`is at version ${v2}, not ${v1}`),
    );
    await expectCode(
      db.deleteDocument({ ref: ref("b"), precondition: { condition: { case: "version", value: v1 } } }),
      Code.FailedPrecondition,
    );
    const doc = (await db.getDocument({ ref: ref("b") })).document!;
    expect(doc.data).toEqual({ n: 2 });
    expect(doc.version).toBe(v2);
  });

  it("50 concurrent conditional updates of one document: exactly one wins per version", async () => {
    let version = (await db.createDocument({ ref: ref("hot"), data: { counter: 0 } })).document!.version;
    for (let round = 1; round <= 3; round++) {
      const attempts = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          db.updateDocument({
            ref: ref("hot"),
            patch: { data: { counter: round, writer: i } },
            precondition: { condition: { case: "version", value: version } },
          }),
        ),
      );
      const winners = attempts.filter((a) => a.status === "fulfilled");
      const losers = attempts.filter((a) => a.status === "rejected");
      expect(winners).toHaveLength(1);
      for (const l of losers) expect((l as PromiseRejectedResult).reason.code).toBe(Code.FailedPrecondition);
      const winner = (winners[0] as PromiseFulfilledResult<{ document?: { version: bigint; data?: unknown } }>).value.document!;
      const stored = (await db.getDocument({ ref: ref("hot") })).document!;
      expect(stored.version).toBe(winner.version);
      expect(stored.data).toEqual(winner.data);
      version = stored.version;
    }
  });
});
