/**
 * What CLI tests share: a Connect server on a free port serving the routes
 * a test gives (a fake of the parts of ImpossibleDB the case needs), and a
 * run of the CLI in its own process (tsx compiles it on the way), with
 * stdin from a function that writes to a pipe when the case needs one.
 */
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Writable } from "node:stream";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
// CLI_MAIN_UNDER_TEST runs the cases against another copy of the CLI (an older main.ts, to see them fail there).
const MAIN = process.env["CLI_MAIN_UNDER_TEST"] || path.resolve(import.meta.dirname, "../src/cli/main.ts");

/** Each case starts a process (tsx compiles the CLI on the way): seconds on a busy machine. */
export const CLI_RUN_TIMEOUT_MS = 30_000;

/** A fake server: its URL, and close() for afterAll. */
export interface FakeServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `routes` on 127.0.0.1 at a free port. */
export async function startFakeServer(routes: (router: ConnectRouter) => void): Promise<FakeServer> {
  const handler = connectNodeAdapter({ routes });
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** How a CLI run ended. */
export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI against `url` with `args`. With `stdin`, the CLI's stdin is
 * a pipe that function writes to (and must end); without, it is /dev/null.
 */
export function runCli(url: string, args: readonly string[], stdin?: (pipe: Writable) => Promise<void>): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(TSX, [MAIN, "--url", url, ...args], {
      cwd: ROOT,
      env: { ...process.env, IMPOSSIBLEDB_DEBUG: "", IMPOSSIBLEDB_DATABASE: "" },
      stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c) => (stdout += String(c)));
    child.stderr?.on("data", (c) => (stderr += String(c)));
    if (stdin !== undefined && child.stdin !== null) {
      // A CLI that stops reading (a refusal past its bound) closes the pipe: EPIPE is its answer, not the test's failure.
      child.stdin.on("error", () => {});
      stdin(child.stdin).catch(() => {});
    }
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Writes `text` to `pipe` in `pieces` parts, `pauseMs` apart, then ends it: a slow producer. */
export async function writeSlowly(pipe: Writable, text: string, pieces: number, pauseMs: number): Promise<void> {
  const size = Math.ceil(text.length / pieces);
  for (let at = 0; at < text.length; at += size) {
    await new Promise((r) => setTimeout(r, pauseMs));
    if (pipe.destroyed) return;
    const more = pipe.write(text.slice(at, at + size));
    if (!more) await new Promise((r) => pipe.once("drain", r));
  }
  pipe.end();
}
