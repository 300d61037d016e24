/**
 * Page tokens carry the filter semantics their walk was made under. Before
 * version 2 `!=` and NOT_IN matched null; a page token issued then (which
 * had no version in it) continued its walk under the new rules, so its
 * later pages ran another filter than its first and could skip or repeat
 * documents without a word. Such a token is now refused, INVALID_ARGUMENT
 * as for any page token that cannot continue its walk, saying the query
 * has to start over. Tokens are forged as the server signs them
 * (pagination/page-token.ts), as test/workerd/long-resume-token.test.ts does.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService, type RunQueryRequest } from "../../gen/impossibledb/v1/query_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RunQueryRequestSchema } from "../../gen/impossibledb/v1/query_service_pb.js";
import { FILTER_SEMANTICS_VERSION } from "../../src/query/expression.js";
import { DEVELOPMENT_PAGE_TOKEN_KEY, encodePageToken, fromBase64Url } from "../../src/pagination/page-token.js";
import { connectClient } from "./helpers.js";

const db = connectClient(CollectionService);
const query = connectClient(QueryService);
const admin = connectClient(AdminService);

/** `token` re-signed with its payload's `f` set to `f`, or removed (as tokens were before they carried it) when undefined. */
async function withSemantics(token: string, f: number | undefined): Promise<string> {
  const body = JSON.parse(new TextDecoder().decode(fromBase64Url(token.split(".")[0]!))) as { s: string; p: Record<string, unknown> };
  const { f: _current, ...rest } = body.p;
  return encodePageToken(env.PAGE_TOKEN_KEY ?? DEVELOPMENT_PAGE_TOKEN_KEY, body.s, f === undefined ? rest : { ...rest, f });
}

/** The refusal of `req`, which must fail. */
async function refusal(req: MessageInitShape<typeof RunQueryRequestSchema>): Promise<ConnectError> {
  try {
    await query.runQuery(req);
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("the call succeeded");
}

/**
 * Checks, for the walk `req`, that its first page's token carries the
 * current version and continues, and that the same token without a version
 * (version 1) or with another is refused, naming why.
 */
async function expectOldTokensRefused(req: MessageInitShape<typeof RunQueryRequestSchema>): Promise<void> {
  const first = await query.runQuery({ ...req, pageSize: 1 });
  expect(first.nextPageToken).not.toBe("");
  for (const f of [undefined, 1]) {
    const err = await refusal({ ...req, pageSize: 1, pageToken: await withSemantics(first.nextPageToken, f) });
    expect(err.code, `f: ${f}`).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe(
      "page_token predates a change of filter semantics (!= and NOT_IN now leave out null, as Firestore's do), so its walk cannot go on; run the query again from the first page, without page_token",
    );
  }
  const payload = JSON.parse(new TextDecoder().decode(fromBase64Url(first.nextPageToken.split(".")[0]!))) as { p: { f?: number } };
  expect(payload.p.f).toBe(FILTER_SEMANTICS_VERSION);
  const next = await query.runQuery({ ...req, pageSize: 1, pageToken: first.nextPageToken } as RunQueryRequest);
  expect(next.documents).toHaveLength(1);
  // Re-signed unchanged, the token still continues: the refusals above are about the version alone.
  expect((await query.runQuery({ ...req, pageSize: 1, pageToken: await withSemantics(first.nextPageToken, FILTER_SEMANTICS_VERSION) })).documents).toEqual(next.documents);
}

describe("page tokens made under earlier filter semantics", () => {
  it("RunQuery refuses one without a version (version 1) with INVALID_ARGUMENT: start over (it went on under the new !=)", async () => {
    await db.batchWriteDocuments({
      writes: ["a", "b", "c", "d"].map((id, i) => ({ ref: { collection: "pts_query", id }, operation: { case: "set" as const, value: { v: i === 1 ? null : i } } })),
    });
    await expectOldTokensRefused({ query: { collection: "pts_query", filter: "v != 0" } });
  });

  it("a text search's and a geo query's page tokens are refused the same way", async () => {
    await admin.createSearchIndex({ index: { collection: "pts_search", textFields: [{ field: "name" }], geoField: "loc" } });
    await db.batchWriteDocuments({
      writes: ["c1", "c2", "c3"].map((id, i) => ({ ref: { collection: "pts_search", id }, operation: { case: "set" as const, value: { name: `coffee ${id}`, v: i, loc: { lat: 48.85 + i / 1000, lng: 2.35 } } } })),
    });
    await expectOldTokensRefused({ query: { collection: "pts_search", filter: "v != 9", search: { text: "coffee" } } });
    await expectOldTokensRefused({ query: { collection: "pts_search", filter: "v != 9", search: { near: { center: { latitude: 48.85, longitude: 2.35 }, radiusMeters: 10_000 } } } });
  });
});
