/**
 * Module-level state of the Worker holds settled values, never promises:
 * a promise kept between requests can be awaited by a request other than
 * the one whose I/O settles it, and workerd cancels that request (an HTTP
 * 500 outside Connect) when the first one ends before it settles (see
 * docs/architecture.md, "Requests never await each other";
 * test/workerd/cross-request-caches.test.ts checks the caches' behaviour).
 * This scan catches a new cache written the old way: a top-level `const` or
 * `let` whose declared type or Map/WeakMap value type mentions Promise, or
 * a top-level Map/WeakMap whose values are an interface of the same file
 * with a Promise field (as the routing cache's entries had).
 * (Durable Object classes may keep promises on their instances: requests to
 * one object may settle each other's promises.)
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(__dirname, "../../../src");
/** The browser SDK runs in browsers, not in the Worker. */
const NOT_WORKER = [path.join(SRC, "client") + path.sep];
/** Top-level declarations whose type holds a promise (the declaration's first line). */
const SHARED_PROMISE = /^(?:export\s+)?(?:const|let|var)\s+[A-Za-z_$][\w$]*\s*(?::[^=]*\bPromise<|=\s*new\s+(?:Weak)?Map<[^;]*\bPromise<)/;
/** A top-level Map/WeakMap whose value type is a plain name: group 1. */
const MAP_OF_NAMED = /^(?:export\s+)?(?:const|let)\s+[A-Za-z_$][\w$]*\s*=\s*new\s+(?:Weak)?Map<[^;]*,\s*([A-Z][\w$]*)>\(/;
/** Context keys hold a function per call, not a value kept between calls. */
const CONTEXT_KEY = /=\s*createContextKey</;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** `file:line: text` of every top-level declaration that keeps a promise. */
function sharedPromiseDeclarations(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    text.split("\n").forEach((line, i) => {
      const named = MAP_OF_NAMED.exec(line)?.[1];
      const keeps = (SHARED_PROMISE.test(line) && !CONTEXT_KEY.test(line)) || (named !== undefined && interfaceHoldsPromise(text, named));
      if (keeps) found.push(`${path.relative(SRC, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

/** Whether `text` declares interface (or object type) `name` with a Promise in its body (nested braces included). */
function interfaceHoldsPromise(text: string, name: string): boolean {
  const start = new RegExp(`(?:interface\\s+${name}\\s*|type\\s+${name}\\s*=\\s*)\\{`).exec(text);
  if (start === null) return false;
  let depth = 0;
  for (let i = start.index + start[0].length - 1; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return /\bPromise</.test(text.slice(start.index, i));
  }
  return false;
}

/** The declarations the scan flags in a file holding `lines`. */
function scanSample(lines: readonly string[]): string[] {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "shared-promises-")), "sample.ts");
  writeFileSync(file, lines.join("\n"));
  return sharedPromiseDeclarations([file]).map((l) => l.slice(l.indexOf(": ") + 2));
}

describe("module-level state of the Worker", () => {
  it("keeps no promise between requests", () => {
    const files = sourceFiles(SRC).filter((f) => !NOT_WORKER.some((prefix) => f.startsWith(prefix)));
    expect(files.length).toBeGreaterThan(50);
    expect(sharedPromiseDeclarations(files)).toEqual([]);
  });

  it("recognises the caches as they were before (2026-11-30)", () => {
    // The declarations the fix removed, as they read then (the routing and
    // rules caches had the same Entry shape).
    expect(
      scanSample([
        "interface Entry {",
        "  cached: { routing: CachedRouting; fetchedAtMs: number } | null;",
        "  inflight: Promise<CachedRouting> | null;",
        "}",
        "const entries = new Map<string, Entry>();",
        "const inflight = new Map<string, Promise<DatabaseScope>>();",
        "const configs = new WeakMap<Env, Promise<AuthConfig>>();",
        "const keys = new Map<string, Promise<CryptoKey>>();",
      ]),
    ).toHaveLength(4);
  });

  it("recognises the shapes that would keep one", () => {
    expect(
      scanSample([
        "const inflight = new Map<string, Promise<Table>>();",
        "const configs = new WeakMap<Env, Promise<AuthConfig>>();",
        "let pending: Promise<void> | null = null;",
        "const keys = new Map<string, CryptoKey>();",
        "  let local: Promise<void> | null = null;",
        "interface Entry {",
        "  cached: { table: Table; fetchedAtMs: number } | null;",
        "  inflight: Promise<Table> | null;",
        "}",
        "const entries = new Map<string, Entry>();",
        "interface Settled { cached: Table | null }",
        "const settled = new Map<string, Settled>();",
      ]),
    ).toEqual([
      "const inflight = new Map<string, Promise<Table>>();",
      "const configs = new WeakMap<Env, Promise<AuthConfig>>();",
      "let pending: Promise<void> | null = null;",
      "const entries = new Map<string, Entry>();",
    ]);
  });
});
