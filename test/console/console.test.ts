/**
 * The web console, as a person uses it: headless Chromium opens /console on
 * the Worker the harness started, visits every panel, edits a document and
 * queries a collection; what the console did is then checked through the
 * TypeScript SDK. A screenshot of each panel is saved in test-results/console/
 * (their paths are printed) so a person can look at them.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ImpossibleDBClient, waitForResharding } from "@impossibledb/client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueCollection, workerUrl } from "../e2e/env.js";
import { launchChromium, openRecordedPage } from "../browser/chromium.js";

const SCREENSHOT_DIR = path.resolve("test-results", "console");
/** Documents per page of the console's document list (console/src/panels/browse.tsx). */
const DOCUMENTS_PER_PAGE = 20;
/** How long one step may wait for the console to show what a call answered. */
const STEP_TIMEOUT_MS = 15_000;

type Person = {
  name: string;
  age: number;
};

const db = new ImpossibleDBClient({ baseUrl: workerUrl() });
const collection = uniqueCollection("console");
const people = db.collection<Person>(collection);
const SEEDED: Record<string, Person> = {
  grace: { name: "Grace", age: 85 },
  alan: { name: "Alan", age: 41 },
  edsger: { name: "Edsger", age: 72 },
  barbara: { name: "Barbara", age: 29 },
  ken: { name: "Ken", age: 19 },
};

let browser: Browser;
let page: Page;
let errors: string[];

async function screenshot(name: string): Promise<void> {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`console screenshot: ${file}`);
}

async function showPanel(hash: string): Promise<void> {
  await page.goto(`${workerUrl()}/console/#${hash}`);
  await page.locator(`[data-panel="${hash}"]`).waitFor({ timeout: STEP_TIMEOUT_MS });
}

const editor = () => page.getByLabel("document editor");
const alert = () => editor().getByRole("alert");

beforeAll(async () => {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const [id, person] of Object.entries(SEEDED)) await people.put(id, person);
  browser = await launchChromium();
  ({ page, errors } = await openRecordedPage(browser));
});

afterAll(async () => {
  await browser?.close();
});

describe("the web console in Chromium", () => {
  it("opens on Browse and lists the collections, with no console error", async () => {
    await page.goto(`${workerUrl()}/console`);
    await page.locator('[data-panel="browse"]').waitFor({ timeout: STEP_TIMEOUT_MS });
    // Other suites' collections may come first, so the test opens its own by name.
    await page.getByRole("list", { name: "collections" }).getByRole("button").first().waitFor({ timeout: STEP_TIMEOUT_MS });
    await page.getByLabel("Open collection").fill(collection);
    await page.getByRole("button", { name: "Open", exact: true }).click();
    const documents = page.getByRole("list", { name: "documents" });
    await documents.getByRole("button", { name: /^grace/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await documents.getByRole("button").allTextContents()).toHaveLength(Object.keys(SEEDED).length);
    await screenshot("browse");
    expect(errors).toEqual([]);
  });

  it("pages through a collection longer than a page, forward and back", async () => {
    const long = db.collection(uniqueCollection("console_pages"));
    const ids = Array.from({ length: DOCUMENTS_PER_PAGE + 3 }, (_, i) => `d${String(i).padStart(2, "0")}`);
    const batch = long.batch();
    for (const id of ids) batch.set(id, { id });
    await batch.commit();
    await page.getByLabel("Open collection").fill(long.name);
    await page.getByRole("button", { name: "Open", exact: true }).click();
    const documents = page.getByRole("list", { name: "documents" });
    const pager = page.getByRole("group", { name: "documents pages" });
    await documents.getByRole("button", { name: /^d00/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await documents.getByRole("button").count()).toBe(DOCUMENTS_PER_PAGE);
    await pager.getByRole("button", { name: "Next" }).click();
    await documents.getByRole("button", { name: /^d22/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect((await documents.getByRole("button").allTextContents()).map((t) => t.split(" ")[0])).toEqual(ids.slice(DOCUMENTS_PER_PAGE));
    expect(await pager.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);
    await pager.getByRole("button", { name: "Previous" }).click();
    await documents.getByRole("button", { name: /^d00/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    // Back to the test's own collection for the next steps.
    await page.getByLabel("Open collection").fill(collection);
    await page.getByRole("button", { name: "Open", exact: true }).click();
    await documents.getByRole("button", { name: /^grace/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(errors).toEqual([]);
  });

  it("creates a document, shows bad JSON inline, saves with the version precondition, refuses a stale version, deletes", async () => {
    await page.getByRole("button", { name: "New document" }).click();
    await editor().getByLabel("Id").fill("ada");
    const text = editor().getByLabel("Data (JSON)");

    // Bad JSON: shown under the editor, and Create is off.
    await text.fill('{"name": "Ada", "age": }');
    await expect.poll(() => alert().textContent(), { timeout: STEP_TIMEOUT_MS }).toMatch(/^invalid_json invalid JSON at line 1 column 24: /);
    expect(await editor().getByRole("button", { name: "Create" }).isDisabled()).toBe(true);

    await text.fill('{"name": "Ada", "age": 36}');
    await editor().getByRole("button", { name: "Create" }).click();
    await editor().getByRole("heading", { name: "ada" }).waitFor({ timeout: STEP_TIMEOUT_MS });
    const created = await people.get("ada");
    expect(created?.data).toEqual({ name: "Ada", age: 36 });
    expect(await editor().getByLabel("If version is").inputValue()).toBe(String(created!.version));

    // Save under the version shown: the SDK reads the new value back.
    await editor().getByLabel("Data (JSON)").fill('{"name": "Ada Lovelace", "age": 37}');
    await editor().getByRole("button", { name: "Save" }).click();
    await expect.poll(async () => (await people.get("ada"))?.data, { timeout: STEP_TIMEOUT_MS }).toEqual({ name: "Ada Lovelace", age: 37 });
    const saved = (await people.get("ada"))!;
    expect(saved.version).not.toBe(created!.version);
    await expect.poll(() => editor().getByLabel("If version is").inputValue(), { timeout: STEP_TIMEOUT_MS }).toBe(String(saved.version));
    await screenshot("browse-edited");

    // Save under the version it had before: the server refuses, the console says why, nothing changes.
    await editor().getByLabel("If version is").fill(String(created!.version));
    await editor().getByLabel("Data (JSON)").fill('{"name": "Stale", "age": 0}');
    await editor().getByRole("button", { name: "Save" }).click();
    await expect.poll(() => alert().textContent(), { timeout: STEP_TIMEOUT_MS }).toMatch(/^failed_precondition /);
    await screenshot("browse-stale-version");
    expect((await people.get("ada"))?.data).toEqual({ name: "Ada Lovelace", age: 37 });

    // Delete under the current version.
    await editor().getByLabel("If version is").fill(String(saved.version));
    await editor().getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => people.get("ada"), { timeout: STEP_TIMEOUT_MS }).toBeNull();
    await expect.poll(() => editor().count(), { timeout: STEP_TIMEOUT_MS }).toBe(0);
    // The failed save logged a failed request in the browser: that one, and only that one, is expected.
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    errors.length = 0;
  });

  it("shows writes made elsewhere as they commit, with no click (Listen)", async () => {
    const status = page.getByRole("status", { name: "live updates" });
    await expect.poll(() => status.getAttribute("data-live"), { timeout: STEP_TIMEOUT_MS }).toBe("on");
    const documents = page.getByRole("list", { name: "documents" });
    expect(await documents.getByRole("button", { name: /^linus/ }).count()).toBe(0);
    await people.put("linus", { name: "Linus", age: 56 });
    await documents.getByRole("button", { name: /^linus/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    await expect.poll(() => status.textContent(), { timeout: STEP_TIMEOUT_MS }).toMatch(/last change: added linus/);
    await screenshot("browse-live");
    await people.delete("linus");
    await documents.getByRole("button", { name: /^linus/ }).waitFor({ state: "detached", timeout: STEP_TIMEOUT_MS });
    await expect.poll(() => status.textContent(), { timeout: STEP_TIMEOUT_MS }).toMatch(/last change: removed linus/);
    expect(errors).toEqual([]);
  });

  it("works in the database chosen in the picker: the same collection name holds that database's documents", async () => {
    const other = `console${Date.now().toString(36)}`;
    await db.services.admin.createDatabase({ databaseId: other });
    const inOther = new ImpossibleDBClient({ baseUrl: workerUrl(), database: other }).collection<Person>(collection);
    await inOther.put("only-there", { name: "Other", age: 1 });
    const documents = page.getByRole("list", { name: "documents" });
    const openCollection = async () => {
      await page.getByLabel("Open collection").fill(collection);
      await page.getByRole("button", { name: "Open", exact: true }).click();
    };
    await page.getByLabel("database").fill(other);
    await page.getByLabel("database").press("Enter");
    await openCollection();
    await documents.getByRole("button", { name: /^only-there/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await documents.getByRole("button", { name: /^grace/ }).count()).toBe(0);
    await screenshot("browse-other-database");
    await page.getByLabel("database").fill("default");
    await page.getByLabel("database").press("Enter");
    await openCollection();
    await documents.getByRole("button", { name: /^grace/ }).waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await documents.getByRole("button", { name: /^only-there/ }).count()).toBe(0);
    await db.services.admin.deleteDatabase({ name: `databases/${other}` });
    expect(errors).toEqual([]);
  });

  it("runs a filtered, ordered query whose results equal RunQuery's through the SDK, with Explain drawn", async () => {
    await showPanel("query");
    const form = page.getByRole("form", { name: "query" });
    await form.getByLabel("Collection").fill(collection);
    await form.getByLabel("Filter").fill("age > 30");
    await form.getByLabel("Order by").fill("age desc");
    await form.getByRole("button", { name: "Run" }).click();
    const table = page.getByRole("table", { name: "query results" });
    await table.waitFor({ timeout: STEP_TIMEOUT_MS });
    const shownIds = await table.locator("td.doc-id").allTextContents();
    const expected = await people.query().filter("age > 30").sort("age", "desc").execute();
    expect(shownIds).toEqual(expected.map((d) => d.id));
    expect(shownIds).toEqual(["grace", "edsger", "alan"]);

    // Explain: one tile per shard of the routing table, rows read and the index (none: a scan).
    const explain = page.getByRole("figure", { name: "explain" });
    const { table: routing } = await db.services.admin.getRoutingTable({});
    expect(await explain.locator(".tile").count()).toBe(routing!.shards.length);
    expect(await explain.locator("figcaption").textContent()).toMatch(new RegExp(`of ${routing!.shards.length} shards queried, \\d+ rows read, 3 returned`));
    const rowsRead = (await explain.locator(".rows-read").allTextContents()).reduce((n, t) => n + Number(t), 0);
    expect(rowsRead).toBeGreaterThanOrEqual(Object.keys(SEEDED).length - 1);
    expect(await explain.locator(".tile:not(.pruned) .index").first().textContent()).toBe("full scan");
    await screenshot("query");

    // A limit: the first two of the same order, as the SDK gets them.
    await form.getByLabel("Limit").fill("2");
    await form.getByRole("button", { name: "Run" }).click();
    await expect.poll(() => table.locator("td.doc-id").allTextContents(), { timeout: STEP_TIMEOUT_MS }).toEqual(["grace", "edsger"]);
    const limited = await people.query().filter("age > 30").sort("age", "desc").limit(2).execute();
    expect(limited.map((d) => d.id)).toEqual(["grace", "edsger"]);
    // A limit that is not a number: refused inline before any call.
    await form.getByLabel("Limit").fill("two");
    await form.getByRole("button", { name: "Run" }).click();
    await expect.poll(() => page.getByRole("alert").textContent(), { timeout: STEP_TIMEOUT_MS }).toBe('invalid_argument limit: "two" is not a whole number');
    await form.getByLabel("Limit").fill("");

    // An aggregation: the count of the same filter.
    await form.getByLabel("Aggregation").selectOption("count");
    await form.getByRole("button", { name: "Run" }).click();
    const groups = page.getByRole("table", { name: "aggregation results" });
    await groups.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await groups.locator("tbody td code").textContent()).toBe(JSON.stringify({ count: 3 }));
    await screenshot("query-aggregation");

    // A filter the server cannot parse: its error, inline.
    await form.getByLabel("Aggregation").selectOption("none");
    await form.getByLabel("Filter").fill("age >");
    await form.getByRole("button", { name: "Run" }).click();
    await expect.poll(() => page.getByRole("alert").textContent(), { timeout: STEP_TIMEOUT_MS }).toMatch(/^invalid_argument /);
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    errors.length = 0;
  });

  it("shows the shard map: the routing table version and one entry per shard, with documents counted", async () => {
    await showPanel("shards");
    const { table: routing } = await db.services.admin.getRoutingTable({});
    const version = page.locator("[data-routing-version]");
    await version.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await version.textContent()).toBe(String(routing!.version));
    const rows = page.getByRole("table", { name: "shards" }).locator("tbody tr");
    expect(await rows.locator("td:first-child").allTextContents()).toEqual(routing!.shards.map((s) => s.id));
    const { shards } = await db.services.admin.listShards({});
    const shown = (await rows.locator("td:nth-child(2)").allTextContents()).reduce((n, t) => n + Number(t), 0);
    const total = shards.reduce((n, s) => n + Number(s.documentCount), 0);
    // Other suites may write meanwhile; the seeded documents are counted either way.
    expect(shown).toBeGreaterThanOrEqual(Object.keys(SEEDED).length);
    expect(shown).toBeLessThanOrEqual(total);
    expect(await page.getByRole("img", { name: "requests per second (last minute)" }).count()).toBe(1);
    // The latest resharding (none has run on `default`) and the split advice, from GetResharding.
    const { resharding, advice } = await db.services.admin.getResharding({});
    const facts = page.locator(".resharding");
    await facts.locator("[data-advice]").waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await facts.getAttribute("data-resharding-state")).toEqual(resharding === undefined ? "NONE" : expect.any(String));
    expect(await facts.locator("[data-advice]").textContent()).toMatch(new RegExp(`^Advice: (keep|reshard from) ${advice!.currentShardCount}`));
    // A second sample (Refresh) draws each shard's request-rate line.
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => rows.locator("svg.sparkline polyline").count(), { timeout: STEP_TIMEOUT_MS }).toBe(routing!.shards.length);
    await screenshot("shards");
    expect(errors).toEqual([]);
  });

  it("shows a database's resharding on the shard map: state, phase, copy progress, and its new shards", async () => {
    const resharded = `console${Date.now().toString(36)}rs`;
    await db.services.admin.createDatabase({ databaseId: resharded });
    const inIt = new ImpossibleDBClient({ baseUrl: workerUrl(), database: resharded });
    await inIt.collection(collection).put("moved", { name: "Moved", age: 2 });
    const started = (await inIt.services.admin.startResharding({ shardCount: 10 })).resharding!;
    const done = await waitForResharding(inIt, { id: started.id, intervalMs: 200, timeoutMs: 120_000 });
    await showPanel("shards");
    await page.getByLabel("database").fill(resharded);
    await page.getByLabel("database").press("Enter");
    const facts = page.locator('.resharding[data-resharding-state="SUCCEEDED"]');
    await facts.waitFor({ timeout: STEP_TIMEOUT_MS });
    expect(await facts.locator("[data-resharding-phase]").textContent()).toBe("SUCCEEDED, phase DONE");
    // A finished copy has looked at every document of its sources.
    expect(await facts.getByRole("progressbar", { name: "copy progress" }).getAttribute("value")).toBe(String(done.documentsTotal));
    expect(await facts.textContent()).toContain(`8 → 10 (routing version ${done.sourceRoutingVersion} → ${done.targetRoutingVersion})`);
    expect(await page.getByRole("table", { name: "shards" }).locator("tbody tr").count()).toBe(10);
    await screenshot("shards-resharded");
    await page.getByLabel("database").fill("default");
    await page.getByLabel("database").press("Enter");
    await db.services.admin.deleteDatabase({ name: `databases/${resharded}` });
    expect(errors).toEqual([]);
  });

  it("shows per-method metrics, counting the calls this test made", async () => {
    await showPanel("metrics");
    // One row per method and database: these calls went to `default`.
    const setRow = page.locator('tr[data-method="impossibledb.v1.CollectionService/SetDocument"][data-database="default"]');
    await setRow.waitFor({ timeout: STEP_TIMEOUT_MS });
    // The seeding, the console's save and its stale save: SetDocument calls, one refused.
    expect(Number(await setRow.locator("td.calls").textContent())).toBeGreaterThanOrEqual(Object.keys(SEEDED).length + 2);
    expect(await setRow.locator("td:nth-child(4)").textContent()).toMatch(/failed_precondition [1-9]/);
    expect(await page.locator('tr[data-method="impossibledb.v1.QueryService/RunQuery"][data-database="default"] td:nth-child(4)').textContent()).toMatch(/invalid_argument \d+/);
    await screenshot("metrics");
    expect(errors).toEqual([]);
  });
});
