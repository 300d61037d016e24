/**
 * `impossibledb import COLLECTION FILE`: two passes over the file. The
 * first reads and checks every record (the id's grammar, the record's
 * shape, the values the SDK can send, ids that appear twice) and stops
 * before writing anything if any is bad, naming FILE:LINE for each. The
 * second writes the documents with BatchWriteDocuments `set` writes, in
 * batches of up to --batch-size documents and IMPORT_BATCH_BYTES_MAX
 * bytes. A whole document written again is the same document, so writes
 * that fail with a transient code (UNAVAILABLE, ABORTED, …) are sent again,
 * with backoff, up to IMPORT_BATCH_ATTEMPTS_MAX times. --dry-run stops
 * after the first pass. The server names a write by its place in its call
 * (`writes[i]`); the import tells it by the FILE:LINE of its record. Ctrl-C
 * stops it after the batch in flight, saying what was written (exit 130).
 *
 * A record with `"fields"` (typed values in protobuf JSON, as export writes
 * them) is read into the SDK's types (typed-fields.ts) and written in the
 * typed form by the SDK's own writer, so typed values are written exactly.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { BaseImpossibleDBClient } from "../ImpossibleDBClient.js";
import { backoffMs, retryPolicy, sleep } from "../retry-policy.js";
import type { ValueDecoder } from "../value-codec.js";
import { setWrite, type WireWrite } from "../writes.js";
import { CliError, EXIT } from "./errors.js";
import { detectFormat, readRecords, type ImportFormat, type InputProblem, type ReadOptions } from "./input.js";
import { IMPORT_BATCH_ATTEMPTS_MAX, IMPORT_BATCH_BYTES_MAX, IMPORT_BATCH_SIZE_MAX, IMPORT_PROBLEMS_SHOWN_MAX } from "./limits.js";
import { createProgress } from "./progress.js";
import { counted } from "./table.js";

/** Options of an import. */
export interface ImportOptions {
  readonly format?: ImportFormat;
  readonly idColumn: string;
  readonly batchSize: number;
  readonly dryRun: boolean;
}

/** One write ready to send, with where it came from. */
interface Pending {
  readonly line: number;
  readonly write: WireWrite;
  readonly bytes: number;
}

/** Runs an import; resolves with the number of documents written (or that would be, in a dry run). */
export async function runImport(db: BaseImpossibleDBClient, collection: string, file: string, options: ImportOptions): Promise<number> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > IMPORT_BATCH_SIZE_MAX) {
    throw new CliError(`--batch-size must be 1 to ${IMPORT_BATCH_SIZE_MAX}`);
  }
  const format = options.format ?? (await detectFormatOrThrow(file));
  const read: ReadOptions = { idColumn: options.idColumn, decoder: typedDecoder(db) };
  const count = await checkFile(collection, file, format, read);
  if (options.dryRun) {
    console.log(`${file}: ${counted(count, "document")} valid (${format}); dry run, nothing written`);
    return count;
  }
  const progress = createProgress(`import ${collection}`, count, "documents");
  const failures: InputProblem[] = [];
  let written = 0;
  // The last line of the last batch sent: every record up to it was sent.
  let lastLineSent = 0;
  let batch: Pending[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const failed = await writeBatch(db, file, batch, written);
    failures.push(...failed);
    written += batch.length - failed.length;
    lastLineSent = batch.at(-1)!.line;
    progress.increment(batch.length);
    batch = [];
    batchBytes = 0;
  };
  // Ctrl-C stops the import between batches and says what was written
  // (without a handler Node exits 130 silently, the batch in flight unknown).
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
  };
  process.on("SIGINT", onInterrupt);
  try {
    for await (const item of readRecords(file, format, read)) {
      // The first pass found no problem; the file changed under us if one appears now.
      if (item.kind === "problem") throw new CliError(`${file}:${item.line}: ${item.message} (the file changed during the import)`);
      const write = setWrite("import", collection, item.id, item.data);
      const bytes = item.jsonLength;
      if (batch.length >= options.batchSize || (batch.length > 0 && batchBytes + bytes > IMPORT_BATCH_BYTES_MAX)) await flush();
      if (interrupted) break;
      batch.push({ line: item.line, write, bytes });
      batchBytes += bytes;
    }
    if (!interrupted) await flush();
  } finally {
    progress.stop();
    process.off("SIGINT", onInterrupt);
  }
  if (interrupted) {
    if (failures.length > 0) printProblems(file, failures);
    throw new CliError(`import interrupted: ${interruptedSummary(file, collection, written, failures.length, lastLineSent, count)}`, EXIT.interrupted);
  }
  if (failures.length > 0) {
    printProblems(file, failures);
    throw new CliError(`${counted(written, "document")} written to ${collection}; ${failures.length} failed (listed above)`, EXIT.failed);
  }
  console.log(`${file}: ${counted(written, "document")} written to ${collection}`);
  return written;
}

/**
 * How `"fields"` records become the SDK's types: timestamps as Timestamps
 * (a Date would drop their microseconds), references made by this client
 * (only to be encoded again).
 */
function typedDecoder(db: BaseImpossibleDBClient): ValueDecoder {
  return { timestamps: "timestamp", values: "typed", reference: db.services.decoder.reference };
}

async function detectFormatOrThrow(file: string): Promise<ImportFormat> {
  try {
    return await detectFormat(file);
  } catch (err) {
    throw fileError(file, err);
  }
}

/** The first pass: counts the records, or throws naming every bad line. */
async function checkFile(collection: string, file: string, format: ImportFormat, read: ReadOptions): Promise<number> {
  const problems: InputProblem[] = [];
  const lineOfId = new Map<string, number>();
  let count = 0;
  try {
    for await (const item of readRecords(file, format, read)) {
      if (item.kind === "problem") {
        problems.push(item);
        continue;
      }
      const earlier = lineOfId.get(item.id);
      if (earlier !== undefined) {
        problems.push({ kind: "problem", line: item.line, message: `document id ${JSON.stringify(item.id)} already appears on line ${earlier}` });
        continue;
      }
      lineOfId.set(item.id, item.line);
      try {
        // The SDK's own checks of what it can send (unsafe integers, …).
        setWrite("import", collection, item.id, item.data);
      } catch (err) {
        problems.push({ kind: "problem", line: item.line, message: err instanceof Error ? err.message : String(err) });
        continue;
      }
      count++;
    }
  } catch (err) {
    throw fileError(file, err);
  }
  if (problems.length > 0) {
    printProblems(file, problems);
    throw new CliError(`${file}: ${counted(problems.length, "bad record")}; nothing was written`);
  }
  return count;
}

function fileError(file: string, err: unknown): Error {
  if (err instanceof CliError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code === "ENOENT") return new CliError(`${file}: no such file`);
  if (e.code === "EISDIR") return new CliError(`${file}: is a directory`);
  if (e.code === "EACCES") return new CliError(`${file}: permission denied`);
  return err instanceof Error ? err : new Error(String(err));
}

function printProblems(file: string, problems: readonly InputProblem[]): void {
  for (const p of problems.slice(0, IMPORT_PROBLEMS_SHOWN_MAX)) console.error(`${file}:${p.line}: ${p.message}`);
  if (problems.length > IMPORT_PROBLEMS_SHOWN_MAX) console.error(`${file}: … and ${problems.length - IMPORT_PROBLEMS_SHOWN_MAX} more`);
}

/**
 * What an interrupted import did, and how to go on: every record is a whole
 * document, so the same import run again writes the same documents again.
 */
function interruptedSummary(file: string, collection: string, written: number, failed: number, lastLineSent: number, count: number): string {
  const failedText = failed === 0 ? "" : ` (${failed} failed, listed above)`;
  const sent = lastLineSent === 0 ? "before any was sent" : `from the records up to ${file}:${lastLineSent}`;
  const rest = written + failed >= count ? "every record was sent" : `to finish, run the same import again (it writes each document whole, so those already written are written again, unchanged)`;
  return `${counted(written, "document")} of ${count} written to ${collection}${failedText}, ${sent}; ${rest}`;
}

/**
 * `message` (the server's) with each `writes[i]` (the write's index in its
 * call, which the user never sees), and the request fields after it
 * (`writes[3].set`), named by the file and line its record came from.
 */
export function withLines(message: string, file: string, batch: readonly { line: number }[]): string {
  return message.replace(/\bwrites\[(\d+)\](?:\.[A-Za-z_]\w*)*/g, (named, index: string) => {
    const line = batch[Number(index)]?.line;
    return line === undefined ? named : `the record at ${file}:${line}`;
  });
}

/**
 * A whole call that failed. One the server refused for one write (its
 * message names `writes[i]`) is told by the file and line of that record,
 * with what was written before it, exit 1; any other error stays as it
 * came, for reportError's own hints (an unreachable server, a credential).
 */
function refusedBatch(error: ConnectError, file: string, batch: readonly Pending[], writtenBefore: number): Error {
  const index = /\bwrites\[(\d+)\]/.exec(error.rawMessage)?.[1];
  const line = index === undefined ? undefined : batch[Number(index)]?.line;
  if (line === undefined) return error;
  return new CliError(
    `${file}:${line}: ${Code[error.code]}: ${withLines(error.rawMessage, file, batch)} (so the batch of ${counted(batch.length, "record")} from ${file}:${batch[0]!.line} was not written; ${counted(writtenBefore, "document")} written before it)`,
    EXIT.failed,
  );
}

/** Codes after which a whole-document write is worth sending again. */
function isRetryable(code: Code): boolean {
  return code === Code.Unavailable || code === Code.Aborted || code === Code.DeadlineExceeded || code === Code.ResourceExhausted || code === Code.Unknown;
}

/**
 * Writes one batch, sending the writes that failed transiently again;
 * returns the writes that failed for good, with their lines.
 */
async function writeBatch(db: BaseImpossibleDBClient, file: string, batch: readonly Pending[], writtenBefore: number): Promise<InputProblem[]> {
  const policy = retryPolicy({ attemptsMax: IMPORT_BATCH_ATTEMPTS_MAX });
  let pending = batch;
  for (let attempt = 1; ; attempt++) {
    let statuses: Array<{ code: number; message: string }>;
    try {
      const res = await db.services.collection.batchWriteDocuments({ writes: pending.map((p) => p.write) });
      statuses = res.statuses;
    } catch (err) {
      const ce = ConnectError.from(err);
      // RESOURCE_EXHAUSTED for the whole call is a batch too large, not load.
      if (!isRetryable(ce.code) || ce.code === Code.ResourceExhausted || attempt >= policy.attemptsMax) throw refusedBatch(ce, file, pending, writtenBefore);
      await sleep(backoffMs(policy, attempt));
      continue;
    }
    const again: Pending[] = [];
    const failed: InputProblem[] = [];
    statuses.forEach((s, i) => {
      const p = pending[i]!;
      if (s.code === 0) return;
      if (s.code === Code.Aborted || s.code === Code.Unavailable || s.code === Code.DeadlineExceeded) again.push(p);
      else failed.push({ kind: "problem", line: p.line, message: `${Code[s.code]}: ${withLines(s.message, file, pending)}` });
    });
    if (again.length === 0 || attempt >= policy.attemptsMax) {
      return [...failed, ...again.map((p): InputProblem => ({ kind: "problem", line: p.line, message: `not written after ${attempt} attempts` }))].sort((a, b) => a.line - b.line);
    }
    pending = again;
    await sleep(backoffMs(policy, attempt));
  }
}
