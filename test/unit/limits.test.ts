import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { BATCH_SIZE_MAX, COLLECTION_NAME_LENGTH_MAX, DOCUMENT_ID_LENGTH_MAX, MASK_PATHS_MAX, PAGE_SIZE_MAX, PAGE_TOKEN_LENGTH_MAX } from "../../src/limits.js";

// The protos declare some limits (buf.validate) so every generated client
// knows them; the code declares them as constants. They must agree.
const proto = (name: string) => readFileSync(new URL(`../../proto/impossibledb/v1/${name}`, import.meta.url), "utf8");

describe("limits agree with the protos", () => {
  it("document refs", () => {
    const doc = proto("document.proto");
    expect(doc).toContain(`string.max_len = ${COLLECTION_NAME_LENGTH_MAX}`);
    expect(doc).toContain(`string.max_len = ${DOCUMENT_ID_LENGTH_MAX}`);
    expect(doc).toContain(`repeated.max_items = ${MASK_PATHS_MAX}`);
  });

  it("batches and pages", () => {
    const svc = proto("collection_service.proto");
    expect(svc.match(/repeated\.max_items = (\d+)/g)).toEqual(Array(2).fill(`repeated.max_items = ${BATCH_SIZE_MAX}`));
    expect(svc).toContain(`int32.lte = ${PAGE_SIZE_MAX}`);
    expect(svc).toContain(`string.max_len = ${PAGE_TOKEN_LENGTH_MAX}`);
  });
});
