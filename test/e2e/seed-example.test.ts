/**
 * The seed document's usage example (MISSION.md, "Usage Example"), run as
 * written against the local server, then checked for what a user of it
 * would expect to have happened.
 *
 * The example's own lines are between the markers, unchanged. It uses fixed
 * collection names (users, orders, carts), so its checks hold whatever else
 * those collections contain.
 */
import { ImpossibleDBClient } from "@impossibledb/client";
import { describe, expect, it } from "vitest";

describe("the seed's usage example", () => {
  it("runs as written", async () => {
    // Documents the example's query can find: 30 active adults, so that
    // offset 20 and limit 10 have something to skip and to return.
    const setup = new ImpossibleDBClient();
    const batch = setup.collection("users").batch();
    for (let i = 0; i < 30; i++) batch.set(`seed-user-${i}`, { name: `User ${i}`, lastName: `Seed${String(i).padStart(2, "0")}`, age: 22 + i, status: "active" });
    batch.set("seed-user-young", { name: "Young", lastName: "Seed00a", age: 18, status: "active" });
    batch.set("seed-user-away", { name: "Away", lastName: "Seed00b", age: 40, status: "inactive" });
    expect((await batch.commit()).every((o) => o.ok)).toBe(true);
    await setup.collection("carts").put("cart789", { items: 1 });

    // --- the seed's example, verbatim ---
    // Connection (automatically detects environment)
    const db = new ImpossibleDBClient();

    // Create a document
    const user = await db.collection('users').put('user123', { 
      name: 'Alice', 
      email: 'alice@example.com' 
    });

    // Get a document
    const alice = await db.collection('users').get('user123');

    // Query documents with advanced filtering
    const results = await db.collection('users')
      .query()
      .where('age', '>', 21)
      .where('status', '==', 'active')
      .sort('lastName', 'asc')
      .limit(10)
      .offset(20)
      .execute();

    // Perform transactions
    const transaction = db.createTransaction();
    transaction
      .read('users', 'user123')
      .write('orders', 'order456', { product: 'Widget', quantity: 5 })
      .delete('carts', 'cart789');
    await transaction.commit();
    // --- end of the example ---

    expect(user.data).toEqual({ name: "Alice", email: "alice@example.com" });
    expect(alice?.data).toEqual({ name: "Alice", email: "alice@example.com" });
    expect(alice?.version).toBe(user.version);

    // The query skipped the first 20 matches in lastName order and returned
    // the next (at most) 10, all of them active adults.
    const all = await db.collection("users").query().where("age", ">", 21).where("status", "==", "active").sort("lastName", "asc").execute();
    expect(all.length).toBeGreaterThanOrEqual(30);
    expect(results.map((d) => d.id)).toEqual(all.slice(20, 30).map((d) => d.id));
    for (const doc of results) {
      expect(doc.data.age).toBeGreaterThan(21);
      expect(doc.data.status).toBe("active");
    }
    const lastNames = all.map((d) => String(d.data.lastName));
    expect(lastNames).toEqual([...lastNames].sort());
    expect(all.map((d) => d.id)).not.toContain("seed-user-young");
    expect(all.map((d) => d.id)).not.toContain("seed-user-away");

    // The transaction wrote the order and deleted the cart, together.
    expect((await db.collection("orders").get("order456"))?.data).toEqual({ product: "Widget", quantity: 5 });
    expect(await db.collection("carts").get("cart789")).toBeNull();
  });
});
