/**
 * PostgreSQL's transactions and queries, on the same `documents` table
 * (jsonb) and version sequence as the point operations. A two-document write
 * is BEGIN, one upsert of both rows, COMMIT; a transfer is BEGIN, SELECT both
 * accounts FOR UPDATE (in id order, so transfers cannot deadlock), UPDATE
 * both, COMMIT. There is one node, so the "two-shard" case is the same
 * transaction. The query set uses an expression index on
 * (status, total), like the indexes of the other systems.
 */
import type pg from "pg";
import { COLLECTION } from "../config.js";
import { pause, TRANSFER_ATTEMPTS_MAX } from "./impossibledb-extensions.js";
import { BANK_COLLECTION, ORDERS_COLLECTION, type QueryDriver, type TxDriver } from "./extensions.js";

/** SQLSTATEs after which a transaction may simply be retried: serialization failure, deadlock. */
const RETRYABLE_SQLSTATES = new Set(["40001", "40P01"]);

const UPSERT = `INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes)
  SELECT $1, u.id, u.data, nextval('document_version'), $4, $4, octet_length(u.data::text)
  FROM unnest($2::text[], $3::jsonb[]) AS u(id, data)
  ON CONFLICT (collection, id) DO UPDATE SET
    data = excluded.data, version = excluded.version,
    update_time_ms = excluded.update_time_ms, size_bytes = excluded.size_bytes`;

const byId = <T extends readonly [string, unknown]>(entries: readonly T[]) => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function createPostgresExtensions(pool: pg.Pool): { tx: TxDriver; query: QueryDriver } {
  const inTransaction = async <T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  };
  const upsert = (c: pg.PoolClient | pg.Pool, collection: string, entries: ReadonlyArray<readonly [string, unknown]>) => {
    const sorted = byId(entries);
    return c.query({ name: "ext-upsert", text: UPSERT, values: [collection, sorted.map(([id]) => id), sorted.map(([, d]) => JSON.stringify(d)), Date.now()] });
  };
  const tx: TxDriver = {
    async commitPair(a, b) {
      await inTransaction((c) => upsert(c, COLLECTION, [a, b]));
    },
    async loadAccounts(ids, balance) {
      await upsert(pool, BANK_COLLECTION, ids.map((id) => [id, { balance }] as const));
    },
    async transfer(from, to, amount) {
      for (let attempt = 0; attempt < TRANSFER_ATTEMPTS_MAX; attempt++) {
        try {
          await inTransaction(async (c) => {
            const { rows } = await c.query({
              name: "ext-lock-accounts",
              text: "SELECT id, (data->>'balance')::bigint AS balance FROM documents WHERE collection = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE",
              values: [BANK_COLLECTION, [from, to]],
            });
            const balances = new Map((rows as Array<{ id: string; balance: string }>).map((r) => [r.id, Number(r.balance)]));
            if (!balances.has(from) || !balances.has(to)) throw new Error(`account ${from} or ${to} is missing`);
            await c.query({
              name: "ext-set-balances",
              text: `UPDATE documents d SET data = jsonb_build_object('balance', u.balance), version = nextval('document_version'), update_time_ms = $4
                     FROM unnest($2::text[], $3::bigint[]) AS u(id, balance) WHERE d.collection = $1 AND d.id = u.id`,
              values: [BANK_COLLECTION, [from, to], [balances.get(from)! - amount, balances.get(to)! + amount], Date.now()],
            });
          });
          return attempt;
        } catch (err) {
          if (!RETRYABLE_SQLSTATES.has((err as { code?: string }).code ?? "")) throw err;
          await pause(attempt);
        }
      }
      throw new Error(`transfer ${from} -> ${to} failed ${TRANSFER_ATTEMPTS_MAX} times`);
    },
    async totalBalance(ids) {
      const { rows } = await pool.query("SELECT count(*) AS n, sum((data->>'balance')::bigint) AS total FROM documents WHERE collection = $1 AND id = ANY($2::text[])", [BANK_COLLECTION, ids]);
      const row = rows[0] as { n: string; total: string };
      if (Number(row.n) !== ids.length) throw new Error(`${ids.length - Number(row.n)} accounts are missing`);
      return Number(row.total);
    },
  };
  const where = (s: string, t: string) => `collection = '${ORDERS_COLLECTION}' AND data->>'${s}' = $1 AND (data->>'${t}')::int >= $2`;
  const top = (s: string, t: string) => `SELECT id, (data->>'${t}')::int AS v FROM documents WHERE ${where(s, t)} ORDER BY (data->>'${t}')::int DESC, id DESC LIMIT 10`;
  const query: QueryDriver = {
    async load(entries) {
      await upsert(pool, ORDERS_COLLECTION, entries);
    },
    async createIndex() {
      await pool.query(`CREATE INDEX orders_status_total ON documents (collection, (data->>'status'), ((data->>'total')::int)) WHERE collection = '${ORDERS_COLLECTION}'`);
      await pool.query("ANALYZE documents");
    },
    async top10(indexed, status, minTotal) {
      const { rows } = await pool.query({ name: indexed ? "ext-top-i" : "ext-top-u", text: indexed ? top("status", "total") : top("ustatus", "utotal"), values: [status, minTotal] });
      return (rows as Array<{ id: string; v: number }>).map((r) => [r.id, r.v] as const);
    },
    async count(status) {
      const { rows } = await pool.query({ name: "ext-count", text: `SELECT count(*) AS n FROM documents WHERE collection = '${ORDERS_COLLECTION}' AND data->>'status' = $1`, values: [status] });
      return Number((rows[0] as { n: string }).n);
    },
    async groupBy() {
      const { rows } = await pool.query({
        name: "ext-group",
        text: `SELECT data->>'region' AS k, count(*) AS n, sum((data->>'total')::int) AS s FROM documents WHERE collection = '${ORDERS_COLLECTION}' GROUP BY k ORDER BY k`,
      });
      return (rows as Array<{ k: string; n: string; s: string }>).map((r) => [r.k, Number(r.n), Number(r.s)] as const);
    },
  };
  return { tx, query };
}
