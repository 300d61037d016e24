import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import {
  BATCH_SIZE_MAX,
  COLLECTIONS_PAGE_SIZE_MAX,
  COLLECTION_NAME_LENGTH_MAX,
  DATABASES_PAGE_SIZE_MAX,
  DELETE_COLLECTION_BATCH_SIZE_MAX,
  DOCUMENT_ID_LENGTH_MAX,
  GEO_NEAR_RADIUS_METERS_MAX,
  GEO_POLYGON_VERTICES_MAX,
  GRPC_MESSAGE_BYTES_DEFAULT_MAX,
  MASK_PATHS_MAX,
  PAGE_SIZE_MAX,
  PAGE_TOKEN_LENGTH_MAX,
  QUERY_ORDER_KEYS_MAX,
  RESPONSE_BYTES_MAX,
  RESUME_TOKEN_LENGTH_MAX,
  TRANSFORMS_PER_WRITE_MAX,
} from "../../src/limits.js";
import { RULE_CHARS_MAX, RULE_COLLECTIONS_MAX } from "../../src/rules/limits.js";
import { SEARCH_FIELD_WEIGHT_MAX, SEARCH_TEXT_FIELDS_MAX, SEARCH_TEXT_LENGTH_MAX } from "../../src/search/limits.js";

// The protos declare some limits (buf.validate) so every generated client
// knows them; the code declares them as constants. They must agree.
const proto = (name: string) => readFileSync(new URL(`../../proto/impossibledb/v1/${name}`, import.meta.url), "utf8");

describe("limits agree with the protos", () => {
  it("document refs", () => {
    const doc = proto("document.proto");
    expect(doc).toContain(`string.max_len = ${COLLECTION_NAME_LENGTH_MAX}`);
    expect(doc).toContain(`string.max_len = ${DOCUMENT_ID_LENGTH_MAX}`);
    expect(doc).toContain(`repeated.max_items = ${MASK_PATHS_MAX}`);
    expect(doc).toContain(`repeated FieldTransform transforms = 7 [(buf.validate.field).repeated.max_items = ${TRANSFORMS_PER_WRITE_MAX}]`);
  });

  it("batches and pages", () => {
    const svc = proto("collection_service.proto");
    expect(svc.match(/repeated\.max_items = (\d+)/g)).toEqual([
      `repeated.max_items = ${BATCH_SIZE_MAX}`,
      `repeated.max_items = ${TRANSFORMS_PER_WRITE_MAX}`,
      `repeated.max_items = ${TRANSFORMS_PER_WRITE_MAX}`,
      `repeated.max_items = ${TRANSFORMS_PER_WRITE_MAX}`,
      `repeated.max_items = ${BATCH_SIZE_MAX}`,
    ]);
    expect(svc).toContain(`int32.lte = ${PAGE_SIZE_MAX}`);
    expect(svc).toContain(`string.max_len = ${PAGE_TOKEN_LENGTH_MAX}`);
    expect(svc).toMatch(new RegExp(`DeleteCollectionRequest \\{[^}]*int32\\.lte = ${DELETE_COLLECTION_BATCH_SIZE_MAX}\\b`));
    expect(svc).toMatch(new RegExp(`ListCollectionsRequest \\{[^}]*int32\\.lte = ${COLLECTIONS_PAGE_SIZE_MAX}\\b`));
    expect(proto("admin_service.proto")).toMatch(new RegExp(`ListDatabasesRequest \\{[^}]*int32\\.lte = ${DATABASES_PAGE_SIZE_MAX}\\b`));
  });
});

describe("token limits agree with the protos", () => {
  it("page tokens, resume tokens and sort keys", () => {
    const svc = proto("query_service.proto");
    expect(svc).toContain(`string page_token = 3 [(buf.validate.field).string.max_len = ${PAGE_TOKEN_LENGTH_MAX}]`);
    expect(svc).toContain(`string resume_token = 3 [(buf.validate.field).string.max_len = ${RESUME_TOKEN_LENGTH_MAX}]`);
    expect(proto("query.proto")).toContain(`repeated Order order_by = 4 [(buf.validate.field).repeated.max_items = ${QUERY_ORDER_KEYS_MAX}]`);
  });
});

describe("geo limits agree with the protos", () => {
  it("polygon vertices and the near radius", () => {
    const search = proto("search.proto");
    expect(search).toMatch(new RegExp(`message GeoPolygon \\{[^}]*repeated\\.max_items = ${GEO_POLYGON_VERTICES_MAX}\\b`));
    expect(search).toMatch(new RegExp(`message GeoNear \\{[^}]*double\\.lte = ${GEO_NEAR_RADIUS_METERS_MAX}\\b`));
  });
});

describe("rule limits agree with the protos", () => {
  it("conditions and collections", () => {
    const admin = proto("admin_service.proto");
    expect(admin).toMatch(new RegExp(`message CollectionRules \\{[^}]*string read = 2 \\[\\(buf\\.validate\\.field\\)\\.string\\.max_len = ${RULE_CHARS_MAX}\\]`));
    expect(admin).toMatch(new RegExp(`message CollectionRules \\{[^}]*string write = 3 \\[\\(buf\\.validate\\.field\\)\\.string\\.max_len = ${RULE_CHARS_MAX}\\]`));
    expect(admin).toMatch(new RegExp(`message Rules \\{[^}]*repeated\\.max_items = ${RULE_COLLECTIONS_MAX}\\]`));
  });
});

describe("the response limit the protos promise", () => {
  it("is the one the code enforces, and leaves room under a default gRPC client's 4 MiB", () => {
    const mib = RESPONSE_BYTES_MAX / (1024 * 1024);
    for (const name of ["collection_service.proto", "query_service.proto", "transaction_service.proto", "admin_service.proto"]) {
      const mentions = proto(name).match(/RESPONSE_BYTES_MAX \((\d+) MiB\)/g) ?? [];
      expect(mentions.length, name).toBeGreaterThan(0);
      expect(new Set(mentions), name).toEqual(new Set([`RESPONSE_BYTES_MAX (${mib} MiB)`]));
    }
    expect(RESPONSE_BYTES_MAX).toBeLessThan(GRPC_MESSAGE_BYTES_DEFAULT_MAX);
  });

  it("search", () => {
    const search = proto("search.proto");
    expect(search).toContain(`repeated.max_items = ${SEARCH_TEXT_FIELDS_MAX}`);
    expect(search).toContain(`double.lte = ${SEARCH_FIELD_WEIGHT_MAX}`);
    expect(search).toMatch(new RegExp(`string text = 1 \\[\\(buf\\.validate\\.field\\)\\.string\\.max_len = ${SEARCH_TEXT_LENGTH_MAX}\\]`));
  });
});
