/**
 * Every command of the documentation runs as written: README.md first, then
 * every docs/*.md page in file-name order (a new page is picked up with no
 * change here), against the harness's server, as a reader would paste them
 * after `npm start`.
 *
 * Order and state. Each page runs top to bottom, on its own:
 *   - Before a page's first command the test empties the database: it lists
 *     every collection (ListCollections) and deletes each (DeleteCollection
 *     until done). So a page starts on an empty database whatever the pages
 *     before it wrote, writes the documents its examples need, and cannot
 *     depend on another page. Versions are not reset (each shard counts its
 *     writes for good), so a page reads the versions it needs (with jq)
 *     rather than assume a number; indexes are kept (CreateIndex is
 *     idempotent, so a page may create one again).
 *   - Within a page, commands run in page order, and shell variables one
 *     command sets (G=…, version=…) are seen by the page's later commands,
 *     not by other pages.
 *
 * What is extracted (test/support/readme-snippets.ts): every fenced block,
 * and inline code spans that are `npx buf curl` / `curl` commands (the
 * per-service table). What runs:
 *   - ```sh blocks, command by command, in bash with `set -eo pipefail`.
 *     A command must exit 0, or, in a block marked `expect-error=CODE`,
 *     fail with that Connect code. Commands that install, start servers,
 *     run the other suites or the benchmarks are skipped by pattern below,
 *     each with its reason (shown in the test's title).
 *   - ```ts blocks of one page, concatenated in order into one program (a
 *     later block uses what an earlier one declared), type-checked with tsc
 *     and run with tsx, importing @impossibledb/client as a user would.
 *   - ```go and ```python blocks are the quickstart programs, which the Go
 *     and Python suites run: they must equal those files.
 *   - ```text blocks are not code and are not run. A block of code marked
 *     `no-run` (```sh no-run) is not run either; the page must say why in
 *     its text, and each one is listed here as a skipped test named by its
 *     file and line, so the output shows everything that was not run.
 * The only change made to a command: 127.0.0.1:8787 and 127.0.0.1:8788
 * become the harness's Worker and front door addresses.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attribute, fencedBlocks, inlineSpans, shellCommands, type FencedBlock } from "../../support/readme-snippets.js";
import { SUITES } from "../suites.mjs";
import { grpcTarget, workerUrl } from "../env.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
/** The pages whose commands run: the README, then docs/*.md by file name. */
const PAGES = [
  "README.md",
  ...readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
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
  { pattern: /^npx tsx bench\//, reason: "the benchmarks take minutes and the whole machine" },
  {
    pattern: /^npm run durability\b/,
    reason: "starts, kills and restarts servers of its own for many minutes; the durability suite runs 5 trials",
    runBy: { file: "test/e2e/suites.mjs", contains: '"scripts/durability.mjs", "--trials", "5"' },
  },
  {
    pattern: /^npm run fuzz\b/,
    reason: "sends 100,000 hostile requests to a server of its own for many minutes; the fuzz suite sends 2 x 600",
    runBy: { file: "test/e2e/suites.mjs", contains: '"scripts/fuzz.mjs", "--requests", "600"' },
  },
  {
    pattern: /^npm run stress\b/,
    reason: "sends tens of thousands of calls for many minutes; the stress suite sends 1,000",
    runBy: { file: "test/e2e/suites.mjs", contains: '"scripts/stress.ts", "--calls", "1000"' },
  },
  {
    pattern: /^npm run conformance\b/,
    reason: "starts servers of its own and runs the conformance runner; the conformance suite runs it",
    runBy: { file: "test/e2e/suites.mjs", contains: '["node", "scripts/conformance.mjs"]' },
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

/** The quickstart files docs/clients.md shows in full, and the suite script that runs each. */
const QUICKSTARTS: Record<string, { file: string; runBy: string }> = {
  go: { file: "clients/go/examples/quickstart/main.go", runBy: "scripts/test-go.sh" },
  python: { file: "clients/python/examples/quickstart.py", runBy: "scripts/test-python.sh" },
};

/** Bounds on emptying the database before a page: collections, and DeleteCollection steps per collection. */
const COLLECTIONS_MAX = 1_000;
const DELETE_STEPS_MAX = 100;

type Step =
  | { kind: "sh"; line: number; text: string; expectError?: string }
  | { kind: "skip"; line: number; text: string; skip: SkippedCommand }
  | { kind: "ts"; line: number; blocks: FencedBlock[] }
  | { kind: "quickstart"; line: number; block: FencedBlock }
  | { kind: "notRun"; line: number; block: FencedBlock }
  | { kind: "unknown"; line: number; block: FencedBlock };

const workDir = mkdtempSync(path.join(os.tmpdir(), "impossibledb-readme-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** The docs' local addresses, pointed at the harness's servers; nothing else is changed. */
function localize(text: string): string {
  return text.replaceAll("127.0.0.1:8787", new URL(workerUrl()).host).replaceAll("127.0.0.1:8788", grpcTarget());
}

/** The steps of one page, in page order. */
function plan(markdown: string): Step[] {
  const blocks = fencedBlocks(markdown);
  const steps: Step[] = [];
  const tsBlocks = blocks.filter((b) => b.language === "ts" && !b.attributes.includes("no-run"));
  if (tsBlocks.length > 0) steps.push({ kind: "ts", line: tsBlocks[0]!.line, blocks: tsBlocks });
  for (const block of blocks) {
    if (block.language === "text" || (block.language === "ts" && !block.attributes.includes("no-run"))) continue;
    if (block.attributes.includes("no-run")) {
      steps.push({ kind: "notRun", line: block.line, block });
    } else if (block.language === "sh") {
      const expectError = attribute(block, "expect-error");
      for (const c of shellCommands(block.body, block.line + 1)) steps.push(shellStep(c.line, c.text, expectError));
    } else if (block.language in QUICKSTARTS) {
      steps.push({ kind: "quickstart", line: block.line, block });
    } else {
      steps.push({ kind: "unknown", line: block.line, block });
    }
  }
  for (const span of inlineSpans(markdown)) {
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
 * Runs one command in bash with the variables earlier commands of its page
 * set (kept in `shellState`), and keeps the ones it sets for the page's
 * later commands (what a user's terminal does).
 */
async function runShell(command: string, shellState: string): Promise<Ran> {
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

async function runTypeScript(page: string, blocks: FencedBlock[]): Promise<void> {
  // Under node_modules, so that `@impossibledb/client` resolves as it does
  // in a user's project that installed it.
  const dir = path.join(ROOT, "node_modules", ".cache", "impossibledb-docs");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${page.replace(/[^A-Za-z0-9]+/g, "-")}.mts`);
  const marker = "docs-ts-block line";
  const program = blocks.map((b) => `// ${page} line ${b.line}\nconsole.error("${marker} ${b.line}");\n${localize(b.body)}`).join("\n");
  writeFileSync(file, program);
  const tscArgs = ["--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext", "--skipLibCheck", "--types", "node", file];
  const checked = await run(path.join(BIN, "tsc"), tscArgs, TS_TIMEOUT_MS);
  const lines = blocks.map((b) => b.line).join(", ");
  expect(checked.code, describeFailure(`${page}: the TypeScript (blocks at lines ${lines}) does not type-check; program: ${file}`, checked)).toBe(0);
  const ran = await run(path.join(BIN, "tsx"), [file], TS_TIMEOUT_MS);
  const failedAt = [...ran.stderr.matchAll(new RegExp(`${marker} (\\d+)`, "g"))].pop()?.[1] ?? "?";
  expect(ran.code, describeFailure(`${page}: the TypeScript block at line ${failedAt} failed; program: ${file}`, ran)).toBe(0);
}

/** A Connect JSON call to the Worker, as the docs' plain curl commands make it. */
async function call<T>(method: string, body: unknown): Promise<T> {
  const res = await fetch(`${workerUrl()}/impossibledb.v1.${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, `${method}: ${text}`).toBe(200);
  return JSON.parse(text) as T;
}

/** Deletes every collection, so that the next page starts on an empty database. */
async function emptyDatabase(): Promise<void> {
  const names: string[] = [];
  let pageToken = "";
  do {
    const page = await call<{ collections?: { name: string }[]; nextPageToken?: string }>("CollectionService/ListCollections", { pageSize: 1000, pageToken });
    names.push(...(page.collections ?? []).map((c) => c.name));
    pageToken = page.nextPageToken ?? "";
    expect(names.length, "too many collections to empty").toBeLessThanOrEqual(COLLECTIONS_MAX);
  } while (pageToken !== "");
  for (const collection of names) {
    let done = false;
    for (let step = 0; step < DELETE_STEPS_MAX && !done; step++) {
      done = (await call<{ done?: boolean }>("CollectionService/DeleteCollection", { collection, batchSize: 500 })).done === true;
    }
    expect(done, `collection ${collection} was not deleted in ${DELETE_STEPS_MAX} steps`).toBe(true);
  }
  const left = await call<{ collections?: unknown[] }>("CollectionService/ListCollections", {});
  expect(left.collections ?? [], "collections left after emptying the database").toEqual([]);
}

/** The first non-blank line of a block, to name it in a test's title. */
function firstLine(block: FencedBlock): string {
  return block.body.split("\n").find((l) => l.trim() !== "")?.trim() ?? "(empty)";
}

describe("the docs' commands, run as written, page by page", () => {
  it("run first in the e2e suites, on the harness's fresh server", () => {
    expect(SUITES[0]?.name).toBe("docs");
    expect(PAGES.length).toBeGreaterThan(1);
  });

  it("README.md: the commands a newcomer needs come first, then the health check", () => {
    const texts = plan(readFileSync(path.join(ROOT, "README.md"), "utf8")).map((s) => ("text" in s ? s.text : ""));
    expect(texts.slice(0, 3)).toEqual([expect.stringMatching(/^npm install\b/), "npm start", "npm test"]);
    expect(texts).toContain("curl -fsS http://127.0.0.1:8787/healthz");
  });

  for (const page of PAGES) describePage(page);
});

function describePage(page: string): void {
  const steps = plan(readFileSync(path.join(ROOT, page), "utf8"));
  const shellState = path.join(workDir, `${page.replace(/[^A-Za-z0-9]+/g, "-")}.sh`);
  describe(page, () => {
    it(`${page}: starts on an empty database`, async () => {
      writeFileSync(shellState, "");
      await emptyDatabase();
    });
    for (const step of steps) describeStep(page, step, shellState);
  });
}

function describeStep(page: string, step: Step, shellState: string): void {
  const at = `${page}:${step.line}`;
  if (step.kind === "sh") {
    it(`${at}: ${step.text.split("\n")[0]}${step.expectError ? ` (fails with ${step.expectError})` : ""}`, async () => {
      const ran = await runShell(localize(step.text), shellState);
      if (step.expectError === undefined) {
        expect(ran.code, describeFailure(`${at} failed:\n${step.text}`, ran)).toBe(0);
      } else {
        expect(ran.code, describeFailure(`${at} should fail with ${step.expectError}:\n${step.text}`, ran)).not.toBe(0);
        expect(errorCode(ran.stderr + ran.stdout), describeFailure(`${at}: wrong error`, ran)).toBe(step.expectError);
      }
    });
  } else if (step.kind === "skip") {
    it(`${at}: ${step.text.split("\n")[0]} is not run here: ${step.skip.reason}`, () => {
      // A reason that says another suite runs the command must stay true.
      if (step.skip.runBy !== undefined) {
        expect(readFileSync(path.join(ROOT, step.skip.runBy.file), "utf8")).toContain(step.skip.runBy.contains);
      }
    });
  } else if (step.kind === "ts") {
    it(`${page}:${step.blocks.map((b) => b.line).join(",")}: the TypeScript blocks type-check and run as one program`, async () => {
      await runTypeScript(page, step.blocks);
    }, 2 * TS_TIMEOUT_MS);
  } else if (step.kind === "quickstart") {
    const quickstart = QUICKSTARTS[step.block.language]!;
    it(`${at}: the ${step.block.language} block is ${quickstart.file}, which ${quickstart.runBy} runs`, () => {
      expect(step.block.body.trimEnd()).toBe(readFileSync(path.join(ROOT, quickstart.file), "utf8").trimEnd());
      expect(readFileSync(path.join(ROOT, quickstart.runBy), "utf8")).toContain("examples/quickstart");
    });
  } else if (step.kind === "notRun") {
    // Listed, not run: the page marks it `no-run` and says why.
    it.skip(`${at}: no-run \`\`\`${step.block.language}: ${firstLine(step.block)}`, () => {});
  } else {
    it(`${at}: a \`\`\`${step.block.language || "(no language)"} block says how it is run`, () => {
      expect.fail(
        `${at}: this test runs sh and ts blocks and checks go and python quickstarts; ` +
          "give the fence a language it knows, or mark it `text` (not code) or `no-run` (code that must not run; say why in the page)",
      );
    });
  }
}
