/**
 * Reading and writing user-named keys of plain objects.
 *
 * Field names come from users, and some of them mean something to
 * JavaScript. Assigning `obj["__proto__"] = value` replaces the object's
 * prototype instead of making a field: the field is lost, the object stops
 * being plain data (Workers RPC then refuses to clone it), and when `obj`
 * is reached through `__proto__` itself the write lands on Object.prototype
 * for the whole isolate. Reading `obj["constructor"]` finds an inherited
 * function where the document has no field. So every object built or read
 * by a user's key goes through these functions, which deal only in own data
 * properties.
 *
 * Objects keep Object.prototype; a null prototype is not an option here:
 * Workers RPC refuses (DataCloneError) any object whose prototype is not
 * Object.prototype, null included, while it carries an own `__proto__` key
 * intact both ways (test/workerd/hostile-keys.test.ts). So user data stays
 * plain `{}` with own properties, and can cross to Durable Objects as is.
 */

/** Sets own property `key` of `obj`, whatever the key; never invokes a setter (such as `__proto__`'s). */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** The value of own property `key` of `obj`, or undefined; inherited properties do not count. */
export function getOwn<T>(obj: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
