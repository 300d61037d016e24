/**
 * `impossibledb reshard N [--wait]`, `impossibledb resharding [cancel]`:
 * live resharding (AdminService.StartResharding, GetResharding,
 * CancelResharding) of the --database from a terminal. The server's
 * FAILED_PRECONDITION answers (one is running already, the database has that
 * many shards, the cutover has begun) are turned into one line that says
 * what to do next.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { InvalidArgumentError, Option, type Command } from "commander";
import { Resharding_Phase, Resharding_State, type Resharding, type ShardCountAdvice } from "../gen/impossibledb/v1/admin_service_pb.js";
import type { ImpossibleDBClient } from "../node.js";
import { waitForResharding } from "../resharding.js";
import { CliError, EXIT, ServerRefusal } from "./errors.js";
import { RESHARD_REST_RATIO_MAX, RESHARD_SHARD_COUNT_MAX, RESHARD_SOURCES_AT_ONCE_MAX, RESHARD_WAIT_INTERVAL_MS_DEFAULT, RESHARD_WAIT_INTERVAL_MS_MAX } from "./limits.js";
import { decimalInteger, decimalNumber } from "./numbers.js";
import { counted } from "./table.js";

/** A resharding as the CLI prints it (and as --json prints it). */
interface ReshardingRow {
  id: string;
  state: string;
  phase: string;
  sourceShardCount: number;
  targetShardCount: number;
  sourceRoutingVersion: number;
  targetRoutingVersion: number;
  documentsCopied: number;
  documentsScanned: number;
  documentsTotal: number;
  cutoverMillis: number;
  /** The move's throttle (ReshardingThrottle): sources moving data at once, and the rest after each step as a multiple of its time. */
  throttle: { sourcesAtOnce: number; restRatio: number } | null;
  startTime: string;
  updateTime: string;
  endTime: string;
  errors: string[];
}

/** Split advice as the CLI prints it. */
interface AdviceRow {
  suggestedShardCount: number;
  currentShardCount: number;
  reason: string;
}

function isoTime(t: Timestamp | undefined): string {
  return t === undefined ? "" : new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)).toISOString();
}

function row(r: Resharding): ReshardingRow {
  return {
    id: r.id,
    state: Resharding_State[r.state] ?? String(r.state),
    phase: Resharding_Phase[r.phase] ?? String(r.phase),
    sourceShardCount: r.sourceShardCount,
    targetShardCount: r.targetShardCount,
    sourceRoutingVersion: Number(r.sourceRoutingVersion),
    targetRoutingVersion: Number(r.targetRoutingVersion),
    documentsCopied: Number(r.documentsCopied),
    documentsScanned: Number(r.documentsScanned),
    documentsTotal: Number(r.documentsTotal),
    cutoverMillis: Number(r.cutoverMillis),
    throttle: r.throttle === undefined ? null : { sourcesAtOnce: r.throttle.sourcesAtOnce, restRatio: r.throttle.restRatio ?? 1 },
    startTime: isoTime(r.startTime),
    updateTime: isoTime(r.updateTime),
    endTime: isoTime(r.endTime),
    errors: [...r.errors],
  };
}

function adviceRow(a: ShardCountAdvice | undefined): AdviceRow | null {
  return a === undefined ? null : { suggestedShardCount: a.suggestedShardCount, currentShardCount: a.currentShardCount, reason: a.reason };
}

/** The lines of `impossibledb resharding`: the operation, then the advice. */
function describeResharding(r: ReshardingRow | null, advice: AdviceRow | null): string[] {
  const lines: string[] = [];
  if (r === null) lines.push("no resharding has run on this database");
  else {
    lines.push(`resharding ${r.id}: ${r.state}, phase ${r.phase}`);
    lines.push(`  shards:           ${r.sourceShardCount} -> ${r.targetShardCount} (routing version ${r.sourceRoutingVersion} -> ${r.targetRoutingVersion})`);
    lines.push(`  copy progress:    ${r.documentsScanned} of ${r.documentsTotal} source documents looked at, ${r.documentsCopied} moved`);
    if (r.throttle !== null) lines.push(`  throttle:         ${counted(r.throttle.sourcesAtOnce, "source")} at once, resting ${r.throttle.restRatio}x each step's time`);
    lines.push(`  started:          ${r.startTime}`);
    if (r.endTime !== "") lines.push(`  ended:            ${r.endTime}`);
    if (r.state === "SUCCEEDED") lines.push(`  cutover:          ${r.cutoverMillis} ms`);
    for (const e of r.errors) lines.push(`  error:            ${e}`);
  }
  if (advice !== null) {
    const what = advice.suggestedShardCount === advice.currentShardCount ? `keep ${counted(advice.currentShardCount, "shard")}` : `reshard from ${advice.currentShardCount} to ${counted(advice.suggestedShardCount, "shard")}`;
    lines.push(`advice: ${what}${advice.reason === "" ? "" : ` (${advice.reason})`}`);
  } else if (r?.state === "RUNNING") {
    // The server gives no advice during a run (it would weigh shards being filled or emptied).
    lines.push("advice: none while this resharding runs; run `impossibledb resharding` again when it ends");
  }
  return lines;
}

/** One line of progress while --wait follows a resharding. */
function progressLine(r: ReshardingRow): string {
  return `${r.phase.toLowerCase().replaceAll("_", " ")}: ${r.documentsScanned} of ${r.documentsTotal} source documents looked at, ${r.documentsCopied} moved`;
}

/** The last line of --wait: how it ended. */
function endLine(r: ReshardingRow): string {
  if (r.state === "SUCCEEDED") return `resharded to ${counted(r.targetShardCount, "shard")} (routing version ${r.targetRoutingVersion}): ${counted(r.documentsCopied, "document")} copied, cutover ${r.cutoverMillis} ms`;
  const why = r.errors.length === 0 ? "" : `: ${r.errors[r.errors.length - 1]}`;
  return `resharding ${r.id} ${r.state}${why}; the database still has ${counted(r.sourceShardCount, "shard")}`;
}

/**
 * The server's FAILED_PRECONDITION refusals of StartResharding and
 * CancelResharding as a {@link ServerRefusal} with the next step (so
 * --json still prints the server's code and message); anything else as it
 * came.
 */
export function refusal(err: unknown, action: "start" | "cancel"): unknown {
  if (!(err instanceof ConnectError) || err.code !== Code.FailedPrecondition) return err;
  const message = err.rawMessage;
  let hint = "";
  if (/no resharding is running/.test(message)) hint = "`impossibledb resharding` shows the last one";
  else if (/is running/.test(message)) hint = "follow it with `impossibledb resharding`, or cancel it with `impossibledb resharding cancel`";
  else if (/already has/.test(message)) hint = "nothing to do";
  else if (/cutover/.test(message)) hint = "it will finish; follow it with `impossibledb resharding`";
  return new ServerRefusal(err, `cannot ${action} resharding`, hint);
}

function boundedInteger(text: string, min: number, max: number): number {
  const n = decimalInteger(text);
  if (n === null || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, in plain decimal digits`);
  return n;
}

function restRatio(text: string): number {
  const n = decimalNumber(text);
  if (n === null || n < 0 || n > RESHARD_REST_RATIO_MAX) throw new InvalidArgumentError(`expected a plain decimal number from 0 to ${RESHARD_REST_RATIO_MAX}`);
  return n;
}

function positiveInteger(text: string): number {
  return boundedInteger(text, 1, RESHARD_SHARD_COUNT_MAX);
}

/**
 * `run(signal)` with Ctrl-C heard: Ctrl-C aborts it at once (a call in
 * flight included) and ends the command with `interrupted()`'s error (exit
 * 130), which says what goes on in the server and how to see it. Without a
 * handler Node exits 130 silently, and a user may think the resharding
 * stopped with it (or, interrupted while starting it, that none started).
 */
async function untilInterrupted<T>(run: (signal: AbortSignal) => Promise<T>, interrupted: () => CliError): Promise<T> {
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.on("SIGINT", onInterrupt);
  try {
    return await run(controller.signal);
  } catch (err) {
    if (!controller.signal.aborted) throw err;
    throw interrupted();
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}

/** ` --database NAME` when the client names one, for the commands a message suggests. */
function databaseOption(db: ImpossibleDBClient): string {
  return db.database === undefined ? "" : ` --database ${db.database}`;
}

/**
 * `wait(signal)` with Ctrl-C heard: it stops only the following, as `what`
 * goes on in the server, and says how to watch or cancel it.
 */
function followUntilInterrupted<T>(db: ImpossibleDBClient, what: string, canCancel: boolean, wait: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const database = databaseOption(db);
  const cancel = canCancel ? `, or cancel it with \`impossibledb${database} resharding cancel\`` : "";
  return untilInterrupted(wait, () => new CliError(`stopped waiting: ${what} goes on in the server; watch it with \`impossibledb${database} resharding\`${cancel}`, EXIT.interrupted));
}

/**
 * StartResharding with Ctrl-C heard while the call is in flight: the
 * server may have started the resharding before the call was cut, so the
 * message says it may have, and how to see whether it did and cancel it.
 */
function startUntilInterrupted<T>(db: ImpossibleDBClient, shardCount: number, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const database = databaseOption(db);
  return untilInterrupted(
    start,
    () =>
      new CliError(
        `interrupted while starting: a resharding to ${counted(shardCount, "shard")} may have started in the server; check with \`impossibledb${database} resharding\`, and if it did, follow it there or cancel it with \`impossibledb${database} resharding cancel\``,
        EXIT.interrupted,
      ),
  );
}

/**
 * Follows the resharding `id` to its end, printing a progress line on
 * stderr whenever its phase or count changes; prints the outcome and
 * fails (exit 1) unless it SUCCEEDED. Ctrl-C stops the following only.
 */
async function follow(db: ImpossibleDBClient, id: string, intervalMs: number, json: boolean): Promise<void> {
  let last = "";
  const done = row(
    await followUntilInterrupted(db, `resharding ${id}`, true, (signal) =>
      waitForResharding(db, {
        id,
        intervalMs,
        signal,
        onProgress: (r) => {
          const line = progressLine(row(r));
          if (line !== last && r.phase !== Resharding_Phase.DONE) console.error(line);
          last = line;
        },
      }),
    ),
  );
  if (json) console.log(JSON.stringify(done, null, 2));
  else console.log(endLine(done));
  if (done.state !== "SUCCEEDED") throw new CliError(`resharding ${done.id} ended ${done.state}`, EXIT.failed);
}

/** Adds `reshard` and `resharding [cancel]` to `cli`; `client` makes a client of the chosen server and database. */
export function addReshardingCommands(cli: Command, client: () => ImpossibleDBClient): void {
  const interval = () =>
    new Option("--interval-ms <ms>", `with --wait: milliseconds between two progress checks, 1-${RESHARD_WAIT_INTERVAL_MS_MAX}`)
      .argParser((t) => boundedInteger(t, 1, RESHARD_WAIT_INTERVAL_MS_MAX))
      .default(RESHARD_WAIT_INTERVAL_MS_DEFAULT);

  cli
    .command("reshard")
    .description("start a live resharding of the database to SHARD-COUNT shards (grow or shrink); --wait follows it to the end")
    .argument("<shard-count>", `the new number of shards, 1-${RESHARD_SHARD_COUNT_MAX}`, positiveInteger)
    .option("--wait", "follow it, printing its progress on stderr, until it ends; exit 1 unless it succeeds")
    .addOption(interval())
    .addOption(
      new Option("--sources-at-once <n>", `throttle: shards that move data at the same time, 1-${RESHARD_SOURCES_AT_ONCE_MAX} (server default 2)`).argParser((t) =>
        boundedInteger(t, 1, RESHARD_SOURCES_AT_ONCE_MAX),
      ),
    )
    .addOption(
      new Option("--rest-ratio <ratio>", `throttle: after each step a shard rests this many times the step's time, 0-${RESHARD_REST_RATIO_MAX} (server default 1; higher: gentler and longer)`).argParser(restRatio),
    )
    .option("--json", "print the operation as JSON")
    .action(async (shardCount: number, opts: { wait?: boolean; intervalMs: number; json?: boolean; sourcesAtOnce?: number; restRatio?: number }) => {
      const db = client();
      const throttle = opts.sourcesAtOnce === undefined && opts.restRatio === undefined ? undefined : { sourcesAtOnce: opts.sourcesAtOnce ?? 0, restRatio: opts.restRatio };
      const started = await startUntilInterrupted(db, shardCount, (signal) =>
        db.services.admin.startResharding({ shardCount, throttle }, { signal }).catch((err: unknown) => {
          throw refusal(err, "start");
        }),
      );
      const r = started.resharding;
      if (r === undefined) throw new CliError("the server answered StartResharding without the operation", EXIT.failed);
      if (opts.wait !== true) {
        if (opts.json === true) console.log(JSON.stringify(row(r), null, 2));
        else console.log(`started resharding ${r.id}: ${r.sourceShardCount} -> ${counted(r.targetShardCount, "shard")} (follow it with \`impossibledb resharding\`)`);
        return;
      }
      console.error(`resharding ${r.id}: ${r.sourceShardCount} -> ${counted(r.targetShardCount, "shard")}`);
      await follow(db, r.id, opts.intervalMs, opts.json === true);
    });

  const resharding = cli
    .command("resharding")
    .description("show the database's latest resharding and the shard count its shards' sizes and request rates suggest")
    .option("--json", "print {resharding, advice} as JSON")
    .action(async (opts: { json?: boolean }) => {
      const res = await client().services.admin.getResharding({});
      const r = res.resharding === undefined ? null : row(res.resharding);
      const advice = adviceRow(res.advice);
      if (opts.json === true) console.log(JSON.stringify({ resharding: r, advice }, null, 2));
      else console.log(describeResharding(r, advice).join("\n"));
    });
  resharding
    .command("cancel")
    .description("cancel the running resharding before its cutover: the old shards keep serving; --wait follows the rollback")
    .option("--wait", "follow the rollback until it ends")
    .addOption(interval())
    .option("--json", "print the operation as JSON")
    .action(async (opts: { wait?: boolean; intervalMs: number; json?: boolean }) => {
      const db = client();
      const res = await db.services.admin.cancelResharding({}).catch((err: unknown) => {
        throw refusal(err, "cancel");
      });
      const r = res.resharding;
      if (r === undefined) throw new CliError("the server answered CancelResharding without the operation", EXIT.failed);
      if (opts.wait === true) {
        const done = row(await followUntilInterrupted(db, `the rollback of resharding ${r.id}`, false, (signal) => waitForResharding(db, { id: r.id, intervalMs: opts.intervalMs, signal })));
        if (opts.json === true) console.log(JSON.stringify(done, null, 2));
        else console.log(`resharding ${done.id} ${done.state}: rolled back, the database still has ${counted(done.sourceShardCount, "shard")}`);
        return;
      }
      if (opts.json === true) console.log(JSON.stringify(row(r), null, 2));
      else console.log(`cancelled resharding ${r.id}: rolling back; the database keeps its ${counted(r.sourceShardCount, "shard")}`);
    });
}
