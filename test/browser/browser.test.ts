/**
 * The SDK in a real browser: headless Chromium (Debian's, driven by
 * playwright-core) loads a page from its own origin that calls the Worker
 * with Connect-Web, so CORS is exercised as for any web app. The page puts,
 * gets, lists, queries and searches documents, and listens to a query (a server
 * stream over fetch) until a write made after the listener is current
 * arrives as an event; any console error fails the test. The harness runs it
 * against a server with auth required: the page gets the run's API key
 * (IMPOSSIBLEDB_API_KEY) as the SDK's `apiKey`, and a read without a key or
 * with a wrong one must fail UNAUTHENTICATED.
 */
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKey, uniqueCollection, workerUrl } from "../e2e/env.js";
import { launchChromium, openRecordedPage } from "./chromium.js";

const PAGE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "page");
/** How long the page may take to finish its steps. */
const PAGE_TIMEOUT_MS = 20_000;

let bundle = "";
let server: http.Server;
let pageOrigin = "";
let browser: Browser;

beforeAll(async () => {
  // Bundle the page for browsers, as a web app's bundler would: the
  // package's "browser" entry point must be chosen.
  const out = await build({
    entryPoints: [path.join(PAGE_DIR, "main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  bundle = out.outputFiles[0]!.text;
  const html = await readFile(path.join(PAGE_DIR, "index.html"), "utf8");
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://page");
    if (url.pathname === "/") res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    else if (url.pathname === "/main.js") res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(bundle);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  pageOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe("the SDK in Chromium", () => {
  it("is bundled without Node's HTTP code", () => {
    expect(bundle).toContain("application/connect+proto");
    expect(bundle).not.toMatch(/node:http2?["']/);
  });

  it("puts, gets, lists, queries, searches and listens over Connect-Web, across origins, with no console error", async () => {
    const { page, errors: consoleErrors } = await openRecordedPage(browser);
    const collection = uniqueCollection("browser");
    await page.goto(`${pageOrigin}/?db=${encodeURIComponent(workerUrl())}&key=${encodeURIComponent(apiKey())}&collection=${collection}`);
    await page.waitForFunction(() => (globalThis as unknown as { impossibledbResult?: { done: boolean } }).impossibledbResult?.done === true, undefined, {
      timeout: PAGE_TIMEOUT_MS,
    });
    const result = await page.evaluate(() => (globalThis as unknown as { impossibledbResult: unknown }).impossibledbResult);
    expect(consoleErrors).toEqual([]);
    expect(result).toMatchObject({
      done: true,
      steps: {
        get: { name: "Alice", email: "alice@example.com", age: 30 },
        list: ["alice", "bob"],
        query: ["alice"],
        search: [{ id: "alice", positive: true, highlights: { name: "<mark>Alice</mark>", email: "<mark>alice</mark>@example.com" } }],
        // The initial snapshot, then the write made after it, as an event.
        listen: { docs: ["carol", "alice"], events: ["initial: added alice", "event: added carol"] },
      },
    });
    expect((result as { error?: string }).error).toBeUndefined();
    // The page's origin differs from the Worker's: the calls were CORS.
    expect(new URL(pageOrigin).origin).not.toBe(new URL(workerUrl()).origin);
    await page.close();
  });

  it("fails UNAUTHENTICATED without a key and with a wrong one", async () => {
    const { page, errors: consoleErrors } = await openRecordedPage(browser);
    await page.goto(`${pageOrigin}/?db=${encodeURIComponent(workerUrl())}&mode=unauthenticated&collection=${uniqueCollection("browser_noauth")}`);
    await page.waitForFunction(() => (globalThis as unknown as { impossibledbResult?: { done: boolean } }).impossibledbResult?.done === true, undefined, {
      timeout: PAGE_TIMEOUT_MS,
    });
    const result = await page.evaluate(() => (globalThis as unknown as { impossibledbResult: unknown }).impossibledbResult);
    // Code.Unauthenticated is 16; nothing else may have gone wrong.
    expect(result).toMatchObject({ done: true, steps: { unauthenticated: { none: "16", wrong: "16" } } });
    expect((result as { error?: string }).error).toBeUndefined();
    // Chromium logs each refused fetch (HTTP 401) as a console error; those,
    // and only those, are expected here.
    expect(consoleErrors.length).toBeGreaterThan(0);
    for (const e of consoleErrors) expect(e).toMatch(/status of 401/);
    await page.close();
  });
});
