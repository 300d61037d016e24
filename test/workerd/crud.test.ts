import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService);
const ref = (id: string, collection = "users") => ({ collection, id });

describe("CRUD", () => {
  it("creates, reads, replaces, updates and deletes a document with its metadata", async () => {
    const created = await db.createDocument({ ref: ref("alice"), data: { name: "Alice", email: "alice@example.com" } });
    const doc = created.document!;
    expect(doc.collection).toBe("users");
    expect(doc.id).toBe("alice");
    expect(doc.data).toEqual({ name: "Alice", email: "alice@example.com" });
    expect(doc.version).toBeGreaterThan(0n);
    expect(timestampMs(doc.createTime!)).toBe(timestampMs(doc.updateTime!));

    const read = await db.getDocument({ ref: ref("alice") });
    expect(read.document).toEqual(doc);

    const replaced = (await db.setDocument({ ref: ref("alice"), data: { name: "Alice B." } })).document!;
    expect(replaced.data).toEqual({ name: "Alice B." });
    expect(replaced.version).toBeGreaterThan(doc.version);
    expect(timestampMs(replaced.createTime!)).toBe(timestampMs(doc.createTime!));
    expect(timestampMs(replaced.updateTime!)).toBeGreaterThanOrEqual(timestampMs(doc.updateTime!));

    const updated = (await db.updateDocument({ ref: ref("alice"), patch: { data: { age: 30 } } })).document!;
    expect(updated.data).toEqual({ name: "Alice B.", age: 30 });
    expect(updated.version).toBeGreaterThan(replaced.version);

    expect((await db.deleteDocument({ ref: ref("alice") })).deleted).toBe(true);
    await expectCode(db.getDocument({ ref: ref("alice") }), Code.NotFound, /users\/alice does not exist/);
    expect((await db.deleteDocument({ ref: ref("alice") })).deleted).toBe(false);
  });

  it("refuses to create a document twice and keeps the first", async () => {
    await db.createDocument({ ref: ref("bob"), data: { n: 1 } });
    await expectCode(db.createDocument({ ref: ref("bob"), data: { n: 2 } }), Code.AlreadyExists, /already exists/);
    expect((await db.getDocument({ ref: ref("bob") })).document!.data).toEqual({ n: 1 });
  });

  it("set creates a missing document (upsert)", async () => {
    const doc = (await db.setDocument({ ref: ref("carol"), data: { n: 1 } })).document!;
    expect(doc.data).toEqual({ n: 1 });
    expect((await db.getDocument({ ref: ref("carol") })).document!.version).toBe(doc.version);
  });

  it("update of a missing document is NotFound and creates nothing", async () => {
    await expectCode(db.updateDocument({ ref: ref("nobody"), patch: { data: { a: 1 } } }), Code.NotFound);
    await expectCode(db.getDocument({ ref: ref("nobody") }), Code.NotFound);
  });

  it("update under a mask sets, adds and removes nested fields", async () => {
    await db.createDocument({
      ref: ref("dave"),
      data: { name: "Dave", address: { city: "Oslo", zip: "0150" }, tags: ["a"], "odd key": 1 },
    });
    const doc = (
      await db.updateDocument({
        ref: ref("dave"),
        patch: {
          data: { address: { city: "Bergen" }, score: 7 },
          updateMask: { fieldPaths: ["address.city", "score", "tags", "`odd key`"] },
        },
      })
    ).document!;
    expect(doc.data).toEqual({ name: "Dave", address: { city: "Bergen", zip: "0150" }, score: 7 });
  });

  it("update refuses patch fields outside the mask and changes nothing", async () => {
    const before = (await db.createDocument({ ref: ref("erin"), data: { a: 1 } })).document!;
    await expectCode(
      db.updateDocument({ ref: ref("erin"), patch: { data: { a: 2, b: 3 }, updateMask: { fieldPaths: ["a"] } } }),
      Code.InvalidArgument,
      /field b that the update mask does not name/,
    );
    expect((await db.getDocument({ ref: ref("erin") })).document).toEqual(before);
  });

  it("get with a mask returns only the masked fields", async () => {
    await db.createDocument({ ref: ref("fred"), data: { name: "Fred", address: { city: "Rome", zip: "00100" }, age: 40 } });
    const doc = (await db.getDocument({ ref: ref("fred"), mask: { fieldPaths: ["address.city", "missing"] } })).document!;
    expect(doc.data).toEqual({ address: { city: "Rome" } });
  });

  it("the same id in two collections is two documents", async () => {
    await db.createDocument({ ref: ref("x", "left"), data: { side: "left" } });
    await db.createDocument({ ref: ref("x", "right"), data: { side: "right" } });
    expect((await db.getDocument({ ref: ref("x", "left") })).document!.data).toEqual({ side: "left" });
    expect((await db.getDocument({ ref: ref("x", "right") })).document!.data).toEqual({ side: "right" });
  });

  it("a deleted and re-created document never reuses a version", async () => {
    const first = (await db.createDocument({ ref: ref("gina"), data: { n: 1 } })).document!;
    await db.deleteDocument({ ref: ref("gina") });
    const second = (await db.createDocument({ ref: ref("gina"), data: { n: 1 } })).document!;
    expect(second.version).toBeGreaterThan(first.version);
  });
});
