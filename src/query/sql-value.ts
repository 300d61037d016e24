/**
 * The values a SQLite row holds, as Durable Object SQL returns them. Named
 * here so the query core type-checks outside workerd too (Node tests).
 */
export type SqlValue = ArrayBuffer | string | number | null;
