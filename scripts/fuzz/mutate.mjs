// Byte- and text-level damage for the input campaign: protobuf messages cut,
// bit-flipped, with wrong wire types, duplicated and unknown fields,
// overlong varints and impossible lengths; JSON bodies cut, corrupted, of
// the wrong type, or nested past any parser's stack. Each mutation is a
// pure function of the bytes and a fast-check-drawn choice, so a seed
// replays it.
import fc from "fast-check";

/** Nesting depths of raw length-delimited bombs and JSON bombs. */
const BOMB_LEVELS = [100, 1000, 20_000];

/** The top-level fields of a protobuf message as [start, end) offsets, or null if it does not scan. */
export function scanFields(bytes) {
  const fields = [];
  let i = 0;
  while (i < bytes.length) {
    const start = i;
    const tag = readVarint(bytes, i);
    if (tag === null) return null;
    i = tag.next;
    const wireType = tag.value & 7;
    if (wireType === 0) {
      const v = readVarint(bytes, i);
      if (v === null) return null;
      i = v.next;
    } else if (wireType === 1) i += 8;
    else if (wireType === 5) i += 4;
    else if (wireType === 2) {
      const len = readVarint(bytes, i);
      if (len === null) return null;
      i = len.next + len.value;
    } else return null;
    if (i > bytes.length) return null;
    fields.push({ start, end: i, tagEnd: tag.next, wireType });
  }
  return fields;
}

function readVarint(bytes, at) {
  let value = 0;
  for (let i = 0; i < 10 && at + i < bytes.length; i++) {
    value += (bytes[at + i] & 0x7f) * 2 ** (7 * i);
    if ((bytes[at + i] & 0x80) === 0) return { value, next: at + i + 1 };
  }
  return null;
}

/** `value` as a protobuf varint, padded to `minBytes` with continuation bytes (overlong when larger than needed). */
export function varint(value, minBytes = 1) {
  const out = [];
  let v = value;
  do {
    out.push(v % 128);
    v = Math.floor(v / 128);
  } while (v > 0);
  while (out.length < minBytes) out.push(0);
  for (let i = 0; i < out.length - 1; i++) out[i] |= 0x80;
  return Uint8Array.from(out);
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A field `field` (wire type 2) nested `levels` deep around `inner`. */
function nestedBomb(field, levels) {
  let inner = new Uint8Array(0);
  for (let i = 0; i < levels; i++) inner = concat(varint((field << 3) | 2), varint(inner.length), inner);
  return inner;
}

/** A mutation of binary message bytes: `{ name, apply(bytes) }` drawn by fast-check. */
export const binaryMutation = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ name: "none", apply: (b) => b }) },
  { weight: 3, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((f) => ({ name: "truncate", apply: (b) => b.subarray(0, Math.floor(b.length * f)) })) },
  {
    weight: 3,
    arbitrary: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.nat({ max: 7 })), { minLength: 1, maxLength: 4 }).map((flips) => ({
      name: "bit-flip",
      apply: (b) => {
        const out = Uint8Array.from(b);
        for (const [f, bit] of flips) if (out.length > 0) out[Math.min(out.length - 1, Math.floor(f * out.length))] ^= 1 << bit;
        return out;
      },
    })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.nat(), fc.nat({ max: 7 })).map(([pick, wireType]) => ({
      name: "wrong-wire-type",
      apply: (b) => {
        const fields = scanFields(b);
        if (fields === null || fields.length === 0) return b;
        const f = fields[pick % fields.length];
        const out = Uint8Array.from(b);
        out[f.tagEnd - 1] = (out[f.tagEnd - 1] & ~7) | (wireType === f.wireType ? (wireType + 1) & 7 : wireType);
        return out;
      },
    })),
  },
  {
    weight: 2,
    arbitrary: fc.nat().map((pick) => ({
      name: "duplicate-field",
      apply: (b) => {
        const fields = scanFields(b);
        if (fields === null || fields.length === 0) return b;
        const f = fields[pick % fields.length];
        return concat(b, b.subarray(f.start, f.end));
      },
    })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.integer({ min: 16, max: 2 ** 29 - 1 }), fc.nat({ max: 7 }), fc.uint8Array({ maxLength: 12 })).map(([field, wireType, payload]) => ({
      name: "unknown-field",
      apply: (b) => concat(b, varint(field * 8 + wireType), wireType === 2 ? varint(payload.length) : new Uint8Array(0), payload),
    })),
  },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 2, max: 11 }).map((n) => ({
      name: "overlong-varint",
      apply: (b) => {
        const fields = scanFields(b);
        if (fields === null || fields.length === 0) return concat(varint(8, n), varint(1, n));
        const f = fields[0];
        const tag = readVarint(b, f.start);
        return concat(varint(tag.value, n), b.subarray(f.tagEnd));
      },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.constantFrom(2 ** 31 - 1, 2 ** 32 - 1, 2 ** 53, 16 * 1024 * 1024 + 1)).map(([field, len]) => ({
      name: "impossible-length",
      apply: (b) => concat(b, varint(field * 8 + 2), varint(len), Uint8Array.of(1, 2, 3)),
    })),
  },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 7 }), fc.constantFrom(...BOMB_LEVELS)).map(([field, n]) => ({ name: `nested-bomb-${n}`, apply: () => nestedBomb(field, n) })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((r) => ({ name: "random-bytes", apply: () => r })) },
);

/** A malformed JSON body: `{ name, apply(text) }` returning a string or bytes. */
export const jsonMutation = fc.oneof(
  { weight: 2, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((f) => ({ name: "json-truncate", apply: (t) => t.slice(0, Math.floor(t.length * f)) })) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom("{", "}", "[", "]", ",", ":", "\"", "\\", "\u0000", "x", "1", " ", "\\u")).map(([f, c]) => ({
      name: "json-char",
      apply: (t) => {
        const i = Math.floor(t.length * f);
        return t.slice(0, i) + c + t.slice(i + 1);
      },
    })),
  },
  { weight: 1, arbitrary: fc.constantFrom("null", "[]", "\"x\"", "1", "true", "", " ", "{}{}", "{\"a\":1,}", "{'a':1}", "\ufeff{}", "{\"__proto__\":{\"polluted\":1}}", "{\"constructor\":{\"prototype\":{}}}").map((b) => ({ name: "json-literal", apply: () => b })) },
  { weight: 1, arbitrary: fc.constant({ name: "json-trailing", apply: (t) => `${t} garbage` }) },
  { weight: 1, arbitrary: fc.constant({ name: "json-bad-utf8", apply: (t) => concat(new TextEncoder().encode(t.slice(0, -1)), Uint8Array.of(0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80), new TextEncoder().encode("}")) }) },
  { weight: 1, arbitrary: fc.constantFrom(...BOMB_LEVELS).map((n) => ({ name: `json-bomb-${n}`, apply: (t) => `{"x":${"[".repeat(n)}${"]".repeat(n)},${t.slice(1)}` })) },
  { weight: 1, arbitrary: fc.constant({ name: "json-duplicate-keys", apply: (t) => (t.length > 2 ? `${t.slice(0, -1)},${t.slice(1)}` : t) }) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.nat(), fc.constantFrom(null, [], {}, "x", 1, -1, 1e999, true, [1, "a"], { a: 1 }, "9".repeat(400))).map(([pick, wrong]) => ({
      name: "json-wrong-type",
      apply: (t) => replaceLeaf(t, pick, wrong),
    })),
  },
);

/** `text` (a JSON object) with its pick-th value, in document order, replaced by `wrong`. */
function replaceLeaf(text, pick, wrong) {
  let n = 0;
  const target = (() => {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  })();
  if (target === null || typeof target !== "object") return text;
  const walk = (node) => {
    for (const key of Object.keys(node)) {
      if (n++ === pick % 64) {
        node[key] = wrong;
        return true;
      }
      if (node[key] !== null && typeof node[key] === "object" && walk(node[key])) return true;
    }
    return false;
  };
  walk(target);
  return JSON.stringify(target);
}
