/**
 * The browser test's page: the TypeScript SDK, bundled for browsers
 * (Connect-Web over fetch), talking to the Worker on another origin. The
 * Worker's URL, an API key (`key`) and a collection name come in the query
 * string. With `mode=unauthenticated` it only reads once without a key and
 * once with a wrong one, and shows the error codes. It puts,
 * gets, lists, queries, searches (after creating a search index), then
 * listens to a query and writes once the
 * listener is current. Each step's
 * outcome is shown on the page and collected in window.impossibledbResult
 * for the test to read; a failure is logged with console.error, which fails
 * the test.
 */
import { ConnectError, ImpossibleDBClient } from "@impossibledb/client";

interface Result {
  steps: Record<string, unknown>;
  done: boolean;
  error?: string;
}

const result: Result = { steps: {}, done: false };
(globalThis as unknown as { impossibledbResult: Result }).impossibledbResult = result;

const params = new URLSearchParams(location.search);
const db = new ImpossibleDBClient({ baseUrl: params.get("db") ?? undefined, apiKey: params.get("key") ?? undefined });
const users = db.collection<{ name: string; email: string; age: number }>(params.get("collection") ?? "browser_users");

function show(step: string, value: unknown): void {
  result.steps[step] = value;
  const line = document.createElement("div");
  line.textContent = `${step}: ${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`;
  document.getElementById("log")?.append(line);
}

async function run(): Promise<void> {
  const put = await users.put("alice", { name: "Alice", email: "alice@example.com", age: 30 });
  show("put", { id: put.id, version: put.version.toString() });
  await users.put("bob", { name: "Bob", email: "bob@example.com", age: 19 });

  const alice = await users.get("alice");
  show("get", alice?.data ?? null);

  const page = await users.list({ pageSize: 10 });
  show("list", page.documents.map((d) => d.id));

  const adults = await users.query().where("age", ">", 21).sort("age", "desc").execute();
  show("query", adults.map((d) => d.id));

  await search();
  await listen();
}

/** Creates the collection's search index (the run's key is an admin's), then searches it with highlights. */
async function search(): Promise<void> {
  await db.services.admin.createSearchIndex({ index: { collection: users.name, textFields: [{ field: "name", weight: 2 }, { field: "email" }] } });
  const hits = await users.query().search("alice", { highlight: true }).hits();
  show("search", hits.map((h) => ({ id: h.doc.id, positive: h.score > 0, highlights: h.highlights })));
}

/**
 * Listens to the adults over Connect-Web's server stream: once the listener
 * is current, a write shows up as an event on the page.
 */
async function listen(): Promise<void> {
  const events: string[] = [];
  let wrote = false;
  await new Promise<void>((resolve, reject) => {
    const unsubscribe = users
      .query()
      .where("age", ">", 21)
      .sort("age", "desc")
      .onSnapshot(
        (snap) => {
          for (const c of snap.docChanges) events.push(`${snap.initial ? "initial" : "event"}: ${c.type} ${c.doc.id}`);
          show("listen", { docs: snap.docs.map((d) => d.id), events });
          if (snap.initial && !wrote) {
            wrote = true;
            users.put("carol", { name: "Carol", email: "carol@example.com", age: 40 }).catch(reject);
          } else if (snap.docChanges.some((c) => c.doc.id === "carol")) {
            unsubscribe();
            resolve();
          }
        },
        reject,
      );
  });
}

/** Reads without a key, then with a wrong one: each should fail UNAUTHENTICATED. */
async function unauthenticated(): Promise<void> {
  const codes: Record<string, string> = {};
  const wrongKey = "idb_0000000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro";
  for (const [name, apiKey] of [["none", undefined], ["wrong", wrongKey]] as const) {
    const client = new ImpossibleDBClient({ baseUrl: params.get("db") ?? undefined, apiKey });
    try {
      await client.collection(params.get("collection") ?? "browser_users").get("alice");
      codes[name] = "OK";
    } catch (err) {
      codes[name] = err instanceof ConnectError ? String(err.code) : `not a ConnectError: ${String(err)}`;
    }
  }
  show("unauthenticated", codes);
}

(params.get("mode") === "unauthenticated" ? unauthenticated() : run())
  .then(() => {
    result.done = true;
  })
  .catch((err: unknown) => {
    result.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    result.done = true;
    console.error(`browser test page failed: ${result.error}`);
  });
