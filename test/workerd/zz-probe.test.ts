import { env, runInDurableObject } from "cloudflare:test";
import { it } from "vitest";

const cases: Record<string, (sql: SqlStorage, t: string, keep: unknown[]) => void> = {
  "full toArray": (sql, t, keep) => { keep.push(sql.exec(`SELECT a FROM ${t}`).toArray()); },
  "one row stepped": (sql, t, keep) => { const c = sql.exec(`SELECT a FROM ${t}`); c.next(); keep.push(c); },
  "iterator return()": (sql, t, keep) => { const c = sql.exec(`SELECT a FROM ${t}`); const i = c[Symbol.iterator](); i.next(); (i as any).return?.(); keep.push(c); },
  "LIMIT 2, both rows read, no done": (sql, t, keep) => { const c = sql.exec(`SELECT a FROM ${t} LIMIT 2`); c.next(); c.next(); keep.push(c); },
  "LIMIT 2, stepped to done": (sql, t, keep) => { const c = sql.exec(`SELECT a FROM ${t} LIMIT 2`); c.next(); c.next(); c.next(); keep.push(c); },
  "for-of over all": (sql, t, keep) => { const c = sql.exec(`SELECT a FROM ${t}`); for (const r of c) keep.push(r); keep.push(c); },
  "one row, then same SQL fully": (sql, t, keep) => { const c = sql.exec(`SELECT a FROM ${t}`); c.next(); keep.push(c); sql.exec(`SELECT a FROM ${t}`).toArray(); },
  "one row, then other exec": (sql, t, keep) => { const c = sql.exec(`SELECT a FROM ${t}`); c.next(); keep.push(c); sql.exec(`SELECT count(*) FROM ${t}`).toArray(); },
  "one(),": (sql, t, keep) => { keep.push(sql.exec(`SELECT a FROM ${t} LIMIT 1`).one()); },
};
let n = 0;
for (const [label, prep] of Object.entries(cases)) {
  it(label, async () => {
    const stub = env.SHARD.get(env.SHARD.idFromName(`probe-${n++}`));
    const out = await runInDurableObject(stub, (_o, state) => {
      const sql = state.storage.sql;
      const keep: unknown[] = [];
      sql.exec(`CREATE TABLE zz (a INTEGER)`);
      for (let i = 0; i < 10; i++) sql.exec(`INSERT INTO zz VALUES (?)`, i);
      sql.exec(`CREATE TABLE other (a INTEGER)`);
      prep(sql, "zz", keep);
      let r = "";
      try { sql.exec(`DROP TABLE other`); r += "drop other ok; "; } catch (e) { r += `drop other FAILED; `; }
      (globalThis as any).__keep = keep;
      return r;
    });
    console.log(`${label}: ${out}`);
  });
}
