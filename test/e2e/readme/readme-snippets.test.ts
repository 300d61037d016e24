/**
 * Every snippet of README.md runs as written, in README order, against the
 * harness's fresh server, as a newcomer would paste them after `npm start`.
 *
 * What is extracted (test/support/readme-snippets.ts): every fenced block,
 * and inline code spans that are `npx buf curl` / `curl` commands (the
 * per-service table). What runs:
 *   - ```sh blocks, command by command, in bash with `set -eo pipefail`;
 *     shell variables a command sets (G=…, url=…) are seen by later ones.
 *     A command must exit 0, or, in a block marked `expect-error=CODE`,
 *     fail with that Connect code. Commands that start servers or run the
 *     other suites are skipped by name below, each with its reason.
 *   - ```ts blocks, concatenated in order into one program (a later block
 *     uses what an earlier one declared), type-checked with tsc and run
 *     with tsx, importing @impossibledb/client as a user would.
 *   - ```go and ```python blocks are the quickstart programs, which the Go
 *     and Python suites run: they must equal those files.
 *   - ```text blocks and blocks marked `no-run` are not run, and must be
 *     listed in NOT_RUN here, so that marking one is a deliberate change.
 * The only change made to a snippet: the README's 127.0.0.1:8787 and
 * 127.0.0.1:8788 become the harness's Worker and front door addresses.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attribute, fencedBlocks, inlineSpans, shellCommands, type FencedBlock } from "../../support/readme-snippets.js";
import { SUITES } from "../suites.mjs";
import { grpcTarget, workerUrl } from "../env.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const BIN = path.join(ROOT, "node_modules", ".bin");
/** How long one shell command may run (a buf curl call takes about a second). */
const COMMAND_TIMEOUT_MS = 60_000;
/** How long type-checking and running the TypeScript program may take. */
const TS_TIMEOUT_MS = 120_000;
/** Lines of a failed snippet's output shown in the failure. */
const OUTPUT_TAIL_CHARS = 3_000;

/** A command the test does not run, and why; `runBy` names where it does run, and is checked. */
interface SkippedCommand {
  pattern: RegExp;
  reason: string;
  runBy?: { file: string; contains: string };
}

const SKIPPED_COMMANDS: SkippedCommand[] = [
  { pattern: /^npm (install|ci)\b/, reason: "installs packages: the tree under test is installed already" },
  { pattern: /^npm start\b/, reason: "starts the servers: the harness has started them, and this test runs against them" },
  { pattern: /^npm test\b/, reason: "runs every suite, this one included" },
  { pattern: /^npm run bench\b/, reason: "the benchmark takes minutes and the whole machine" },
  {
    pattern: /^npm run durability\b/,
    reason: "starts, kills and restarts servers of its own for many minutes; the durability suite runs 5 trials",
    runBy: { file: "test/e2e/suites.mjs", contains: '"scripts/durability.mjs", "--trials", "5"' },
  },
  { pattern: /^node scripts\/e2e-server\.mjs\b/, reason: "starts a second server and runs suites: this test runs inside that harness" },
  {
    pattern: /^cd clients\/go && go run \.\/examples\/quickstart$/,
    reason: "the go suite runs this very program first",
    runBy: { file: "scripts/test-go.sh", contains: "go run ./examples/quickstart" },
  },
  {
    pattern: /^IMPOSSIBLEDB_URL=\S+ IMPOSSIBLEDB_GRPC_TARGET=\S+ bash scripts\/test-go\.sh$/,
    reason: "this is the go suite, which `npm test` runs",
    runBy: { file: "test/e2e/suites.mjs", contains: '["bash", "scripts/test-go.sh"]' },
  },
  {
    pattern: /^IMPOSSIBLEDB_URL=\S+ IMPOSSIBLEDB_GRPC_TARGET=\S+ bash scripts\/test-python\.sh$/,
    reason: "this is the python suite, which `npm test` runs",
    runBy: { file: "test/e2e/suites.mjs", contains: '["bash", "scripts/test-python.sh"]' },
  },
  {
    pattern: /^bash scripts\/install-codegen\.sh$/,
    reason: "installs the Go and Python generators and the venv; the python suite runs it first",
    runBy: { file: "scripts/test-python.sh", contains: 'bash "$root/scripts/install-codegen.sh"' },
  },
  {
    pattern: /^clients\/python\/\.venv\/bin\/python clients\/python\/examples\/quickstart\.py$/,
    reason: "the python suite runs this very program first",
    runBy: { file: "scripts/test-python.sh", contains: ".venv/bin/python examples/quickstart.py" },
  },
];

/** The quickstart files the README shows in full, and the suite script that runs each. */
const QUICKSTARTS: Record<string, { file: string; runBy: string }> = {
  go: { file: "clients/go/examples/quickstart/main.go", runBy: "scripts/test-go.sh" },
  python: { file: "clients/python/examples/quickstart.py", runBy: "scripts/test-python.sh" },
};

/**
 * Blocks the test does not run, by language and first line: `text` blocks
 * (not code) and blocks marked `no-run`. A new one must be added here.
 */
const NOT_RUN = [
  { language: "text", firstLine: "browsers (Connect-Web)   services (Connect, gRPC-Web)   buf curl   gRPC clients (grpc-go, grpcio)", why: "the architecture diagram" },
  {
    language: "json",
    firstLine: '{"method":"impossibledb.v1.QueryService/RunQuery","database":"default","code":"ok","durationMs":12,"shardsTouched":8,"rowsRead":3,"requestId":"3b1f0c2e-5d7a-4c1e-9a53-0d4e2f6b7a81"}',
    why: "an example of the per-RPC log line (Observability), not a command",
  },
];

/** Collections the snippets write; they must be empty when the test starts. */
const SNIPPET_COLLECTIONS = ["users", "accounts", "orders", "carts"];

type Step =
  | { kind: "sh"; line: number; text: string; expectError?: string }
  | { kind: "skip"; line: number; text: string; skip: SkippedCommand }
  | { kind: "ts"; line: number; blocks: FencedBlock[] }
  | { kind: "quickstart"; line: number; block: FencedBlock }
  | { kind: "unknown"; line: number; block: FencedBlock };

const workDir = mkdtempSync(path.join(os.tmpdir(), "impossibledb-readme-"));
const shellState = path.join(workDir, "shell-state.sh");
writeFileSync(shellState, "");
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** The README's local addresses, pointed at the harness's servers; nothing else is changed. */
function localize(text: string): string {
  return text.replaceAll("127.0.0.1:8787", new URL(workerUrl()).host).replaceAll("127.0.0.1:8788", grpcTarget());
}

function plan(): Step[] {
  const blocks = fencedBlocks(README);
  const steps: Step[] = [];
  const tsBlocks = blocks.filter((b) => b.language === "ts" && !b.attributes.includes("no-run"));
  if (tsBlocks.length > 0) steps.push({ kind: "ts", line: tsBlocks[0]!.line, blocks: tsBlocks });
  for (const block of blocks) {
    if (block.attributes.includes("no-run") || block.language === "text" || block.language === "ts") continue;
    if (block.language === "sh") {
      const expectError = attribute(block, "expect-error");
      for (const c of shellCommands(block.body, block.line + 1)) steps.push(shellStep(c.line, c.text, expectError));
    } else if (block.language in QUICKSTARTS) {
      steps.push({ kind: "quickstart", line: block.line, block });
    } else {
      steps.push({ kind: "unknown", line: block.line, block });
    }
  }
  for (const span of inlineSpans(README)) {
    if (/^(npx buf curl|curl) /.test(span.text)) steps.push(shellStep(span.line, span.text, undefined));
  }
  return steps.sort((a, b) => a.line - b.line);
}

function shellStep(line: number, text: string, expectError: string | undefined): Step {
  const skip = SKIPPED_COMMANDS.find((s) => s.pattern.test(text));
  return skip === undefined ? { kind: "sh", line, text, expectError } : { kind: "skip", line, text, skip };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], timeoutMs: number): Promise<Ran> {
  return new Promise((resolve) => {
    const env = { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ""}` };
    const child = spawn(file, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs one command in bash with the variables earlier commands set, and
 * keeps the ones it sets for later commands (what a user's terminal does).
 */
async function runShell(command: string): Promise<Ran> {
  const script = [
    "__readme_baseline=$(compgen -v)",
    `source ${quote(shellState)}`,
    "set -eo pipefail",
    command,
    "set +e",
    "for __readme_v in $(compgen -v); do",
    '  case "$__readme_v" in __readme_*) continue ;; esac',
    '  grep -qxF -- "$__readme_v" <<<"$__readme_baseline" || declare -p "$__readme_v"',
    `done > ${quote(shellState + ".next")}`,
    `mv ${quote(shellState + ".next")} ${quote(shellState)}`,
  ].join("\n");
  return run("bash", ["-c", script], COMMAND_TIMEOUT_MS);
}

function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function describeFailure(what: string, ran: Ran): string {
  const tail = (s: string) => (s.length > OUTPUT_TAIL_CHARS ? "…" + s.slice(-OUTPUT_TAIL_CHARS) : s);
  return `${what}\nexit code: ${ran.code}\n--- stdout\n${tail(ran.stdout)}\n--- stderr\n${tail(ran.stderr)}`;
}

/** The Connect code in buf curl's error output (`"code": "not_found"`), if any. */
function errorCode(output: string): string | undefined {
  return /"code":\s*"([a-z_]+)"/.exec(output)?.[1];
}

async function runTypeScript(blocks: FencedBlock[]): Promise<void> {
  // Under node_modules, so that `@impossibledb/client` resolves as it does
  // in a user's project that installed it.
  const dir = path.join(ROOT, "node_modules", ".cache", "impossibledb-readme");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "snippets.mts");
  const marker = "readme-ts-block line";
  const program = blocks.map((b) => `// README.md line ${b.line}\nconsole.error("${marker} ${b.line}");\n${localize(b.body)}`).join("\n");
  writeFileSync(file, program);
  const tscArgs = ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", "--types", "node", file];
  const checked = await run(path.join(BIN, "tsc"), tscArgs, TS_TIMEOUT_MS);
  const lines = blocks.map((b) => b.line).join(", ");
  expect(checked.code, describeFailure(`the README's TypeScript (blocks at lines ${lines}) does not type-check; program: ${file}`, checked)).toBe(0);
  const ran = await run(path.join(BIN, "tsx"), [file], TS_TIMEOUT_MS);
  const failedAt = [...ran.stderr.matchAll(new RegExp(`${marker} (\\d+)`, "g"))].pop()?.[1] ?? "?";
  expect(ran.code, describeFailure(`the README's TypeScript block at line ${failedAt} failed; program: ${file}`, ran)).toBe(0);
}

async function listFirstDocument(collection: string): Promise<unknown[]> {
  const res = await fetch(`${workerUrl()}/impossibledb.v1.CollectionService/ListDocuments`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ collection, pageSize: 1 }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { documents?: unknown[] }).documents ?? [];
}

const steps = plan();

describe("README.md snippets, run as written in README order", () => {
  it("start on a fresh database, as after a first `npm start`", async () => {
    // Versions and preconditions in the snippets (version 1, then 2) hold
    // only there; the readme suite runs first in test/e2e/suites.mjs.
    for (const collection of SNIPPET_COLLECTIONS) {
      expect(await listFirstDocument(collection), `collection ${collection} is not empty: run this suite on a fresh server, before the others`).toEqual([]);
    }
    expect(SUITES[0]?.name).toBe("readme");
  });

  it("mark every block they do not run, and list it here", () => {
    const notRun = fencedBlocks(README)
      .filter((b) => b.language === "text" || b.attributes.includes("no-run"))
      .map((b) => ({ language: b.language, firstLine: b.body.split("\n").find((l) => l.trim() !== "")?.trim() }));
    expect(notRun).toEqual(NOT_RUN.map(({ language, firstLine }) => ({ language, firstLine })));
  });

  it("include the commands a newcomer needs first, and the health check", () => {
    const texts = steps.map((s) => ("text" in s ? s.text : ""));
    expect(texts.slice(0, 3)).toEqual([expect.stringMatching(/^npm install\b/), "npm start", "npm test"]);
    expect(texts).toContain("curl -fsS http://127.0.0.1:8787/healthz");
  });

  for (const step of steps) {
    if (step.kind === "sh") {
      const title = `line ${step.line}: ${step.text.split("\n")[0]}${step.expectError ? ` (fails with ${step.expectError})` : ""}`;
      it(title, async () => {
        const ran = await runShell(localize(step.text));
        if (step.expectError === undefined) {
          expect(ran.code, describeFailure(`README line ${step.line} failed:\n${step.text}`, ran)).toBe(0);
        } else {
          expect(ran.code, describeFailure(`README line ${step.line} should fail with ${step.expectError}:\n${step.text}`, ran)).not.toBe(0);
          expect(errorCode(ran.stderr + ran.stdout), describeFailure(`README line ${step.line}: wrong error`, ran)).toBe(step.expectError);
        }
      });
    } else if (step.kind === "skip") {
      it(`line ${step.line}: ${step.text.split("\n")[0]} is not run here: ${step.skip.reason}`, () => {
        // A reason that says another suite runs the command must stay true.
        if (step.skip.runBy !== undefined) {
          expect(readFileSync(path.join(ROOT, step.skip.runBy.file), "utf8")).toContain(step.skip.runBy.contains);
        }
      });
    } else if (step.kind === "ts") {
      it(`lines ${step.blocks.map((b) => b.line).join(", ")}: the TypeScript blocks type-check and run as one program`, async () => {
        await runTypeScript(step.blocks);
      }, 2 * TS_TIMEOUT_MS);
    } else if (step.kind === "quickstart") {
      const quickstart = QUICKSTARTS[step.block.language]!;
      it(`line ${step.line}: the ${step.block.language} block is ${quickstart.file}, which ${quickstart.runBy} runs`, () => {
        expect(step.block.body.trimEnd()).toBe(readFileSync(path.join(ROOT, quickstart.file), "utf8").trimEnd());
        expect(readFileSync(path.join(ROOT, quickstart.runBy), "utf8")).toContain("examples/quickstart");
      });
    } else {
      it(`line ${step.line}: a \`\`\`${step.block.language || "(no language)"} block says how it is run`, () => {
        expect.fail(
          `README line ${step.line}: this test runs sh and ts blocks and checks go and python quickstarts; ` +
            "give the fence a language it knows, or mark it `text` (not code) or `no-run` and list it in NOT_RUN",
        );
      });
    }
  }
});
