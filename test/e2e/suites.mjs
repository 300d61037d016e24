// The end-to-end suites `npm run test:e2e` runs, in order, against one local
// server started by scripts/e2e-server.mjs. Each command runs from the
// repository root with these variables set:
//   IMPOSSIBLEDB_URL          the Worker's base URL (Connect, gRPC-Web), e.g. http://127.0.0.1:40123
//   IMPOSSIBLEDB_GRPC_TARGET  host:port of the gRPC front door (gRPC over h2c), e.g. 127.0.0.1:40124
// All suites share one database: each must write under collection names of
// its own (a prefix per suite and run) so they never see each other's data.
// The one exception is "docs", which runs the commands of README.md and
// docs/*.md as written, with fixed collection names, and so runs first.
// A suite marked `auth: "required"` runs instead against a second server
// with authentication required (started when the first such suite runs,
// with its own state), and also gets:
//   IMPOSSIBLEDB_API_KEY      an API key, admin of every database (`*`), made
//                             for the run with AdminService.CreateApiKey;
//                             the clients read it (TypeScript, Python) or the
//                             suite passes it on (Go's WithAPIKey)
//   IMPOSSIBLEDB_AUTH         "required", so the suite also checks that a
//                             missing or wrong key is UNAUTHENTICATED
// To add a suite, add one line.
export const SUITES = [
  // First, on the fresh database: the commands of README.md and docs/*.md,
  // which use fixed collection names; each page starts on an empty database
  // (the test deletes every collection before it).
  { name: "docs", command: ["npx", "vitest", "run", "--config", "vitest.docs.config.ts"] },
  { name: "typescript", command: ["npx", "vitest", "run", "--config", "vitest.e2e.config.ts"] },
  { name: "browser", command: ["npx", "vitest", "run", "--config", "vitest.browser.config.ts"], auth: "required" },
  // The web console (/console) in Chromium; screenshots in test-results/console/.
  { name: "console", command: ["npx", "vitest", "run", "--config", "vitest.console.config.ts"] },
  // Authentication: every RPC over Connect, gRPC-Web and gRPC against a
  // server of its own with auth required (free ports, its own state).
  { name: "auth", command: ["npx", "vitest", "run", "--config", "vitest.auth.config.ts"] },
  { name: "go", command: ["bash", "scripts/test-go.sh"], auth: "required" },
  { name: "python", command: ["bash", "scripts/test-python.sh"], auth: "required" },
  // Crash durability, 5 trials (about 30 s): starts, SIGKILLs and restarts a
  // server of its own on free ports; `npm run durability -- --trials 100` is
  // the long run.
  { name: "durability", command: ["node", "scripts/durability.mjs", "--trials", "5"] },
  // Hostile input (R3), 2 x 600 requests (about 45 s), a fixed seed and a random one
  // (printed): starts a server of its own on free ports;
  // `npm run fuzz -- --requests 100000` is the long run.
  { name: "fuzz", command: ["node", "scripts/fuzz.mjs", "--requests", "600", "--seed", "20261130", "--seed", "random", "--concurrency", "8"] },
  // Stress of the request path (about 30 s): 1,000 mixed calls, 32 in
  // flight, over every protocol and encoding, with large bodies, gzip,
  // abandoned and cut-off calls, then a check of every document written
  // (scripts/stress.ts); a random seed, printed. `npm run stress -- --calls
  // 20000` is the long run.
  { name: "stress", command: ["tsx", "scripts/stress.ts", "--calls", "1000", "--concurrency", "32", "--large-share", "0.05", "--seed", "random"] },
  // The Connect conformance suite (about 15 s): the conformance runner
  // (connectconformance, pinned in scripts/install-codegen.sh) against a
  // conformance Worker built on our request path (Connect, gRPC-Web) and
  // the front door in front of it (gRPC), servers of its own on free ports;
  // conformance/known-failing-*.txt lists what we fail and why.
  { name: "conformance", command: ["node", "scripts/conformance.mjs"] },
  // `npm start` itself: starts and ends servers of its own on free ports.
  { name: "start", command: ["npx", "vitest", "run", "--config", "vitest.start.config.ts"] },
];
