/**
 * Snapshots of the isolate's shared built-in objects, to prove that no
 * request changes them. A request that reaches `obj["__proto__"][name] = v`
 * with user-chosen names writes onto Object.prototype, and every later
 * request of the isolate sees the change (prototype pollution); comparing a
 * snapshot taken before a batch of hostile requests with one taken after
 * catches that, and any other write to these objects.
 */

/** The built-ins whose own properties are compared. */
const WATCHED: ReadonlyArray<readonly [string, object]> = [
  ["Object.prototype", Object.prototype],
  ["Array.prototype", Array.prototype],
  ["Function.prototype", Function.prototype],
  ["String.prototype", String.prototype],
  ["Number.prototype", Number.prototype],
  ["Object", Object],
  ["JSON", JSON],
];

/** One own property of a watched object: its descriptor, with the value itself (compared by identity). */
export interface PropertySnapshot {
  readonly value: unknown;
  readonly get: unknown;
  readonly set: unknown;
  readonly writable: boolean | undefined;
  readonly enumerable: boolean | undefined;
  readonly configurable: boolean | undefined;
}

/** Every own property (string and symbol keys) of every watched object, and each one's prototype. */
export function snapshotGlobals(): Map<string, PropertySnapshot | object | null> {
  const out = new Map<string, PropertySnapshot | object | null>();
  for (const [name, obj] of WATCHED) {
    out.set(`${name} [[Prototype]]`, Object.getPrototypeOf(obj) as object | null);
    for (const key of Reflect.ownKeys(obj)) {
      const d = Object.getOwnPropertyDescriptor(obj, key)!;
      out.set(`${name}.${String(key)}`, {
        value: d.value,
        get: d.get,
        set: d.set,
        writable: d.writable,
        enumerable: d.enumerable,
        configurable: d.configurable,
      });
    }
  }
  return out;
}

/** The differences between two snapshots, as readable lines (empty when none). */
export function diffGlobals(before: ReadonlyMap<string, unknown>, after: ReadonlyMap<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [key, value] of after) {
    if (!before.has(key)) lines.push(`added ${key}`);
    else if (!sameSnapshot(before.get(key), value)) lines.push(`changed ${key}`);
  }
  for (const key of before.keys()) if (!after.has(key)) lines.push(`removed ${key}`);
  return lines;
}

function sameSnapshot(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return ["value", "get", "set", "writable", "enumerable", "configurable"].every((k) => Object.is(x[k], y[k]));
}

/** The names JavaScript gives meaning to, which users may still choose as field names. */
export const HOSTILE_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "__defineGetter__", "isPrototypeOf"] as const;
