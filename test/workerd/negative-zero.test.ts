/**
 * A write's answer is the document as stored, over the binary protocols
 * too. JSON has no negative zero, so a -0 is stored as 0 (docs/queries.md);
 * Connect binary, gRPC-Web and gRPC carry the double's bits, and a write
 * that answered with the data it was given said -0 where every read says 0
 * (found by a new user).
 */
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { connectClient, grpcWebClient } from "./helpers.js";

const clients: Array<[string, Client<typeof CollectionService>]> = [
  ["Connect binary", connectClient(CollectionService, { binary: true })],
  ["gRPC-Web", grpcWebClient(CollectionService)],
];

const negativeZero = create(ValueSchema, { kind: { case: "numberValue", value: -0 } });

/** `v` of a document's data, which must be a number. */
function v(data: unknown): number {
  const value = (data as { v?: unknown } | undefined)?.v;
  expect(typeof value).toBe("number");
  return value as number;
}

describe.each(clients)("a -0 written over %s", (protocol, db) => {
  const collection = `negzero-${protocol.replace(/\W/g, "")}`;
  const ref = (id: string) => ({ collection, id });

  it("SetDocument, CreateDocument and UpdateDocument answer 0, as GetDocument does", async () => {
    const set = await db.setDocument({ ref: ref("set"), data: { v: -0, in: { list: [-0] } } });
    const created = await db.createDocument({ ref: ref("create"), data: { v: -0 } });
    const updated = await db.updateDocument({ ref: ref("set"), patch: { data: { v: -0, w: 1 } } });
    for (const [name, answer] of [["set", set.document?.data], ["create", created.document?.data], ["update", updated.document?.data]] as const) {
      expect(Object.is(v(answer), 0), `${name} answered ${Object.is(v(answer), -0) ? "-0" : v(answer)}`).toBe(true);
    }
    expect(Object.is((set.document?.data as { in: { list: number[] } }).in.list[0], 0)).toBe(true);
    for (const id of ["set", "create"]) {
      const got = await db.getDocument({ ref: ref(id) });
      expect(Object.is(v(got.document?.data), 0)).toBe(true);
    }
    expect((await db.getDocument({ ref: ref("set") })).document?.data).toEqual(updated.document?.data);
  });

  it("BatchWriteDocuments with returnDocuments answers the stored 0", async () => {
    const res = await db.batchWriteDocuments({
      writes: [
        { ref: ref("b1"), operation: { case: "set", value: { v: -0 } } },
        { ref: ref("b2"), operation: { case: "create", value: { v: -0 } } },
      ],
      returnDocuments: true,
    });
    expect(res.statuses.map((s) => s.code)).toEqual([0, 0]);
    for (const result of res.results) expect(Object.is(v(result.document?.data), 0)).toBe(true);
  });

  it("a typed doubleValue -0 and a transform that lands on -0 answer 0 too", async () => {
    const typed = await db.setDocument({ ref: ref("typed"), fields: { v: { kind: { case: "doubleValue", value: -0 } }, n: { kind: { case: "integerValue", value: 1n } } } });
    expect(Object.is(v(typed.document?.data), 0)).toBe(true);
    const typedV = typed.document?.fields["v"]?.kind;
    expect(typedV?.case === "doubleValue" && Object.is(typedV.value, 0)).toBe(true);
    // A missing field takes the increment's operand: -0.
    const inc = await db.setDocument({ ref: ref("inc"), data: {}, transforms: [{ fieldPath: "v", transformType: { case: "increment", value: negativeZero } }] });
    expect(Object.is(v(inc.document?.data), 0)).toBe(true);
    const result = inc.transformResults[0]?.kind;
    expect(result?.case === "numberValue" && Object.is(result.value, 0)).toBe(true);
  });
});
