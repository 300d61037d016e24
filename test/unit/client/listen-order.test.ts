/**
 * The TypeScript SDK's listeners keep `docs` in the server's order whatever
 * the client's decoding options: a property test of ListenView's order
 * (clients/ts/src/listen-order.ts) against the server's own
 * (src/query/order.ts over src/query/values.ts, docs/queries.md "Order of
 * mixed types"), over random documents of every value type, with
 * timestamps a microsecond apart, integers past 2^53 and doubles next to
 * them. The seed is printed on failure (fast-check), so a failure replays.
 */
import { create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { createRouterTransport } from "@connectrpc/connect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient, type ImpossibleDBClientOptions } from "../../../clients/ts/src/node.js";
import { DocumentSchema, type ValueSchema } from "../../../clients/ts/src/gen/impossibledb/v1/document_pb.js";
import { DocumentChange_Type, ListenResponseSchema } from "../../../clients/ts/src/gen/impossibledb/v1/query_service_pb.js";
import { documentOrder } from "../../../clients/ts/src/listen-order.js";
import { ListenView } from "../../../clients/ts/src/listen-view.js";
import { compareCursors, cursorOf, type OrderKey } from "../../../src/query/order.js";
import { jsonObjectForm } from "../../../src/values/json-form.js";
import { jsonFromTypedFields } from "../../../src/values/proto-typed.js";

type WireValue = MessageInitShape<typeof ValueSchema>;

const SECONDS = 1_767_225_600n; // 2026-01-01T00:00:00Z

/** Scalars of every type, drawn close together so that lossy decodings would tie or cross. */
const scalar: fc.Arbitrary<WireValue> = fc.oneof(
  fc.constant<WireValue>({ kind: { case: "nullValue", value: 0 } }),
  fc.boolean().map<WireValue>((value) => ({ kind: { case: "booleanValue", value } })),
  fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(2 ** 53, 2 ** 60, -(2 ** 60), 0.5, -0.5), fc.double({ noNaN: true, noDefaultInfinity: true })).map<WireValue>((value) => ({ kind: { case: "doubleValue", value } })),
  fc.oneof(fc.bigInt({ min: -3n, max: 3n }), fc.bigInt({ min: 2n ** 60n - 3n, max: 2n ** 60n + 3n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map<WireValue>((value) => ({
    kind: { case: "integerValue", value },
  })),
  fc.tuple(fc.bigInt({ min: -1n, max: 1n }), fc.integer({ min: 0, max: 2_999 })).map<WireValue>(([s, micros]) => ({
    kind: { case: "timestampValue", value: { seconds: SECONDS + s, nanos: micros * 1000 } },
  })),
  fc.string({ unit: fc.constantFrom("a", "b", "\uFFFF", "\u{1F600}"), maxLength: 3 }).map<WireValue>((value) => ({ kind: { case: "stringValue", value } })),
  fc.uint8Array({ maxLength: 3 }).map<WireValue>((value) => ({ kind: { case: "bytesValue", value } })),
  fc.tuple(fc.constantFrom("a", "a-b", "ab", "b"), fc.constantFrom("x", "y", "x-y")).map<WireValue>(([collection, id]) => ({ kind: { case: "referenceValue", value: { collection, id } } })),
  fc.tuple(fc.constantFrom(-1, 0, 0.5), fc.constantFrom(-2, 0, 2)).map<WireValue>(([latitude, longitude]) => ({ kind: { case: "geoPointValue", value: { latitude, longitude } } })),
);

const value: fc.Arbitrary<WireValue> = fc.oneof(
  { weight: 8, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 2 }).map<WireValue>((values) => ({ kind: { case: "arrayValue", value: { values } } })) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("p", "q"), scalar, { maxKeys: 2 }).map<WireValue>((fields) => ({ kind: { case: "mapValue", value: { fields } } })) },
);

/** Documents: fields `a` and `m.b` (each may be missing), ids unique. */
const documents = fc.uniqueArray(
  fc.record({ id: fc.string({ unit: fc.constantFrom("x", "y", "z"), minLength: 1, maxLength: 3 }), a: fc.option(value, { nil: undefined }), b: fc.option(value, { nil: undefined }) }),
  { selector: (d) => d.id, minLength: 2, maxLength: 8 },
);

const sortKeys = fc.array(fc.record({ field: fc.constantFrom("a", "m.b", "`m`.b"), descending: fc.boolean() }), { maxLength: 2 });

const DECODINGS: ImpossibleDBClientOptions[] = [{}, { timestamps: "timestamp" }, { values: "json" }, { timestamps: "timestamp", values: "json" }];

/** True when the value needs the typed form (the server then sends `fields` as well as `data`). */
function isTyped(v: WireValue): boolean {
  const kind = v.kind;
  if (kind === undefined) return false;
  switch (kind.case) {
    case "arrayValue":
      return (kind.value.values ?? []).some(isTyped);
    case "mapValue":
      return Object.values(kind.value.fields ?? {}).some(isTyped);
    case "integerValue":
    case "timestampValue":
    case "bytesValue":
    case "referenceValue":
    case "geoPointValue":
      return true;
    default:
      return false;
  }
}

describe("a listener's docs, whatever the client's decoding options", () => {
  it("are in the server's order (property, over every value type)", () => {
    fc.assert(
      fc.property(documents, sortKeys, (docs, keys) => {
        const wire = docs.map(({ id, a, b }) => {
          const fields: Record<string, WireValue> = {};
          if (a !== undefined) fields["a"] = a;
          if (b !== undefined) fields["m"] = { kind: { case: "mapValue", value: { fields: { b } } } };
          const typed = Object.values(fields).some(isTyped);
          // The server's internal form, then the two forms it sends: `data` always, `fields` for a typed document.
          const internal = jsonFromTypedFields(create(DocumentSchema, { fields }).fields, id);
          const data = jsonObjectForm(internal);
          return { id, internal, doc: create(DocumentSchema, { collection: "c", id, version: 1n, data: data as JsonObject, fields: typed ? fields : {} }) };
        });
        const serverKeys: OrderKey[] = keys.map((k) => ({ path: k.field === "a" ? ["a"] : ["m", "b"], descending: k.descending }));
        const expected = [...wire]
          .sort((x, y) => compareCursors(cursorOf({ id: x.id, data: x.internal }, serverKeys), cursorOf({ id: y.id, data: y.internal }, serverKeys), serverKeys))
          .map((d) => d.id);
        const message = create(ListenResponseSchema, { resumeToken: "1", changes: wire.map(({ doc }) => ({ type: DocumentChange_Type.ADDED, document: doc })) });
        for (const options of DECODINGS) {
          const db = new ImpossibleDBClient({ transport: createRouterTransport(() => {}), ...options });
          const view = new ListenView(documentOrder(keys), db.services.decoder);
          const snap = view.receive(message);
          expect(snap?.docs.map((d) => d.id), JSON.stringify(options)).toEqual(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});
