#!/usr/bin/env node
// `npm start`: serves ImpossibleDB locally on workerd (through wrangler dev),
// with state kept in local SQLite files under .wrangler/state, and prints
// where each protocol is served.
//
// Environment: PORT (default 8787), IMPOSSIBLEDB_STATE_DIR (default
// .wrangler/state).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.PORT ?? 8787);
const stateDir = process.env.IMPOSSIBLEDB_STATE_DIR ?? path.join(root, ".wrangler", "state");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");

const child = spawn(
  wrangler,
  ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", stateDir, "--show-interactive-dev-session=false"],
  { cwd: root, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);

let announced = false;
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  if (!announced && /Ready on/.test(String(chunk))) {
    announced = true;
    const base = `http://127.0.0.1:${port}`;
    console.log(
      [
        "",
        "ImpossibleDB is serving on local workerd.",
        `  Connect (JSON and binary), HTTP/1.1:  ${base}`,
        `  gRPC-Web:                             ${base}`,
        `  State (SQLite files):                 ${stateDir}`,
        "",
        "Try it:",
        `  npx buf curl --schema proto --protocol connect -d '{"ref":{"collection":"users","id":"u1"},"data":{"name":"Alice"}}' ${base}/impossibledb.v1.CollectionService/SetDocument`,
        "",
      ].join("\n"),
    );
  }
});

for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
