/**
 * ImpossibleDB over real gRPC: the gRPC front door (`frontdoor/`, an HTTP/2
 * cleartext server doing locally what Cloudflare's edge does in production)
 * in front of the same Worker the Connect system runs, called with
 * connect-node's gRPC transport over HTTP/2. Same data, same Worker; the
 * difference to the Connect system is the front door's hop and gRPC framing.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Driver, RunningSystem } from "./types.js";

/** Where `npm run build` puts the front door. */
const FRONTDOOR_MAIN = path.join(process.cwd(), "frontdoor", "dist", "frontdoor", "src", "main.js");
const READY_TIMEOUT_MS = 30_000;

export interface ImpossibleDbGrpcOptions {
  /** The Worker's base URL (the Connect system's). */
  readonly workerUrl: string;
  readonly port: number;
  /** Builds the workload driver over a transport (the Connect system's own driver). */
  readonly driverFor: (transport: ReturnType<typeof createGrpcTransport>) => Driver;
}

/** Starts the front door as its own process and returns the gRPC system. */
export async function startImpossibleDbGrpc(options: ImpossibleDbGrpcOptions): Promise<RunningSystem> {
  if (!existsSync(FRONTDOOR_MAIN)) throw new Error(`${FRONTDOOR_MAIN} is missing: run 'npm run build' first`);
  const child = spawn(process.execPath, [FRONTDOOR_MAIN], {
    env: { ...process.env, FRONTDOOR_PORT: String(options.port), FRONTDOOR_HOST: "127.0.0.1", IMPOSSIBLEDB_URL: options.workerUrl },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await waitForListening(child);
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${options.port}` });
  return {
    id: "impossibledb-grpc",
    label: "ImpossibleDB (gRPC via front door)",
    setup: "the same Worker behind the gRPC front door (Node, HTTP/2 cleartext, forwarding as gRPC-Web); connect-node gRPC transport over HTTP/2",
    driver: options.driverFor(transport),
    serverPids: child.pid === undefined ? [] : [child.pid],
    concurrent: true,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

function waitForListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the front door did not start listening in time")), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      if (/frontdoor listening on/.test(String(chunk))) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the front door exited with ${code}`));
    });
  });
}
