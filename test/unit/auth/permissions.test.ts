import { describe, expect, it } from "vitest";
import { AdminService } from "../../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../../gen/impossibledb/v1/transaction_service_pb.js";
import { METHOD_PERMISSIONS, requiredPermission, roleGrants, rolesGrant } from "../../../src/auth/permissions.js";

const SERVICES = [CollectionService, QueryService, TransactionService, AdminService];
const methodNames = SERVICES.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`));

describe("the permission table", () => {
  it("names every method of every service, and nothing else", () => {
    expect(Object.keys(METHOD_PERMISSIONS).sort()).toEqual([...methodNames].sort());
  });

  it("refuses a method it does not name", () => {
    expect(requiredPermission("impossibledb.v1.CollectionService/NoSuchMethod", {})).toBeUndefined();
    expect(requiredPermission("toString", {})).toBeUndefined();
  });

  it("makes every AdminService method need admin", () => {
    for (const m of AdminService.methods) expect(METHOD_PERMISSIONS[`${AdminService.typeName}/${m.name}`]).toBe("admin");
  });

  it("makes beginning a retry (retry_of, which takes read locks with its first attempt's priority) need write, whichever call begins it", () => {
    const begin = "impossibledb.v1.TransactionService/BeginTransaction";
    const get = "impossibledb.v1.TransactionService/GetDocuments";
    const commit = "impossibledb.v1.TransactionService/Commit";
    expect(requiredPermission(begin, { options: { retryOf: "tx1" } })).toBe("write");
    expect(requiredPermission(begin, { options: { retryOf: "" } })).toBe("read");
    expect(requiredPermission(begin, { options: { retryOf: "tx1", readOnly: true } })).toBe("read");
    expect(requiredPermission(begin, {})).toBe("read");
    expect(requiredPermission(get, { newTransaction: { retryOf: "tx1" } })).toBe("write");
    expect(requiredPermission(get, { newTransaction: {} })).toBe("read");
    expect(requiredPermission(get, { transaction: "tx1" })).toBe("read");
    expect(requiredPermission(commit, { newTransaction: { retryOf: "tx1" }, writes: [] })).toBe("write");
  });

  it("lets a Commit without writes (a read-only transaction) need only read", () => {
    const commit = "impossibledb.v1.TransactionService/Commit";
    expect(requiredPermission(commit, { writes: [] })).toBe("read");
    expect(requiredPermission(commit, { writes: [{}] })).toBe("write");
    expect(requiredPermission(commit, undefined)).toBe("write");
  });
});

describe("roles", () => {
  it("grant what their names say", () => {
    expect(roleGrants("read_only", "read")).toBe(true);
    expect(roleGrants("read_only", "write")).toBe(false);
    expect(roleGrants("read_write", "write")).toBe(true);
    expect(roleGrants("read_write", "admin")).toBe(false);
    expect(roleGrants("admin", "admin")).toBe(true);
  });

  it("hold on their own database, or every database for `*`", () => {
    expect(rolesGrant({ a: "admin" }, "a", "admin")).toBe(true);
    expect(rolesGrant({ a: "admin" }, "b", "read")).toBe(false);
    expect(rolesGrant({ "*": "read_only" }, "b", "read")).toBe(true);
    expect(rolesGrant({ "*": "read_only", b: "admin" }, "b", "admin")).toBe(true);
    // Methods that span databases need a `*` role.
    expect(rolesGrant({ a: "admin" }, "*", "admin")).toBe(false);
    expect(rolesGrant({ "*": "admin" }, "*", "admin")).toBe(true);
    // Prototype names are not databases with roles.
    expect(rolesGrant({}, "__proto__", "read")).toBe(false);
    expect(rolesGrant({}, "constructor", "read")).toBe(false);
  });
});
