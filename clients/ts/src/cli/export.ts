/**
 * `impossibledb export COLLECTION`: the collection as NDJSON, one
 * {"id", "data"} object a line in id order, to stdout or --out FILE. A
 * document that holds a typed value (an integer, timestamp, bytes,
 * reference or geo point) also gets "fields": its exact typed form in
 * protobuf JSON (typed-fields.ts), which import prefers to "data". Pages
 * come from ListDocuments itself (the SDK's generated client), not the
 * SDK's decoded snapshots, so what is written is what the server sent.
 *
 * It walks ListDocuments pages, and after each page is written out it
 * knows the page token that continues after it. So an export can stop and
 * go on later:
 *   - on Ctrl-C (or a call that fails after a page was read) it prints
 *     `--resume-token TOKEN` to stderr; running it again with that token (and the same --out, which
 *     is then appended to) writes the rest;
 *   - with --checkpoint FILE it also keeps the token in FILE after every
 *     page, resumes from FILE when it exists, and removes FILE when the
 *     export completes. This survives a killed process too: with --out,
 *     the resume first cuts the file back to the lines the checkpoint
 *     counts, so no document is written twice. The checkpoint records
 *     where it writes (--out, or stdout), and a resume elsewhere is refused,
 *     since it would write only the rest there; --resume-token with it is
 *     refused too (the checkpoint keeps its own token). It records the
 *     server and database too: a page token is good only for the
 *     collection, database and server that issued it, so a resume that
 *     asks for another one is refused, saying which the checkpoint is for.
 * Ctrl-C is heard for the whole run: it always ends (exit 130) saying how
 * many documents were written and how to resume, or that the export was
 * complete when it came.
 * Tokens are signed by the server and bound to the collection.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createWriteStream, type WriteStream } from "node:fs";
import { readFile, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Value } from "../gen/impossibledb/v1/document_pb.js";
import type { BaseImpossibleDBClient } from "../ImpossibleDBClient.js";
import { CliError, EXIT } from "./errors.js";
import { EXPORT_PAGE_SIZE_MAX } from "./limits.js";
import { createProgress } from "./progress.js";
import { counted } from "./table.js";
import { typedFieldsJson } from "./typed-fields.js";

/** Options of an export. */
export interface ExportOptions {
  readonly out?: string;
  readonly resumeToken?: string;
  readonly checkpoint?: string;
  readonly pageSize: number;
}

/** What a checkpoint file holds. */
interface Checkpoint {
  readonly collection: string;
  /**
   * The database (`default` when the export named none) and the server
   * (its URL) the export read from; a resume must ask for the same ones,
   * as the page token is good only there. Absent from checkpoints written
   * before they were kept; those resume wherever they are told.
   */
  readonly database?: string;
  readonly server?: string;
  readonly pageToken: string;
  readonly documents: number;
  /** Bytes of --out that hold the documents before pageToken; a resume cuts the file back to them. */
  readonly outBytes: number;
  /**
   * Where the export writes: --out as an absolute path, or "-" for stdout.
   * A resume must write to the same place, since it writes only the rest
   * (and cuts --out back to outBytes). Absent from checkpoints written
   * before it was kept; those resume wherever they are told.
   */
  readonly out?: string;
}

/** The checkpoint's name for where an export writes: --out made absolute, or "-" for stdout. */
function outName(out: string | undefined): string {
  return out === undefined ? "-" : path.resolve(out);
}

/** How a user reads a checkpoint's `out`. */
function outText(out: string): string {
  return out === "-" ? "stdout" : out;
}

/**
 * Refuses an --out name that promises another format (`.csv`, `.json`,
 * `.tsv`): export writes NDJSON only, and a file named `books.csv` holding
 * NDJSON would mislead whatever opens it.
 */
function assertNdjsonName(out: string | undefined): void {
  const extension = /\.([A-Za-z0-9]+)$/.exec(out ?? "")?.[1]?.toLowerCase();
  if (extension !== undefined && ["csv", "tsv", "json"].includes(extension)) {
    throw new CliError(`export writes NDJSON (one {"id", "data"} object a line), not ${extension.toUpperCase()}: name the file .ndjson or .jsonl`);
  }
}

/** Runs an export; resolves with the number of documents written by this run. */
export async function runExport(db: BaseImpossibleDBClient, collection: string, options: ExportOptions): Promise<number> {
  if (!Number.isInteger(options.pageSize) || options.pageSize < 1 || options.pageSize > EXPORT_PAGE_SIZE_MAX) {
    throw new CliError(`--page-size must be 1 to ${EXPORT_PAGE_SIZE_MAX}`);
  }
  assertNdjsonName(options.out);
  if (options.checkpoint !== undefined && options.resumeToken !== undefined) {
    throw new CliError(`--checkpoint and --resume-token cannot be combined: --checkpoint ${options.checkpoint} resumes from the token it keeps by itself; give --resume-token alone to continue from a token an export printed`);
  }
  // Ctrl-C is heard from here to the end, so it always ends with a word on
  // what was exported and how to go on (without a handler Node exits 130
  // silently): the loop stops at the next page, or, when Ctrl-C came after
  // the last one, the export says it is complete.
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
  };
  process.on("SIGINT", onInterrupt);
  try {
    return await exportPages(db, collection, options, () => interrupted);
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}

/** runExport once its arguments are checked and Ctrl-C is heard; `interrupted` says whether it came. */
async function exportPages(db: BaseImpossibleDBClient, collection: string, options: ExportOptions, interrupted: () => boolean): Promise<number> {
  const saved = options.checkpoint === undefined ? null : await readCheckpoint(options.checkpoint, exportSource(db, collection));
  if (saved?.out !== undefined && saved.out !== outName(options.out)) {
    throw new CliError(
      `${options.checkpoint ?? ""} is the checkpoint of an export to ${outText(saved.out)}, not ${outText(outName(options.out))}: resuming writes only the documents after it, so give ${saved.out === "-" ? "no --out (and >> the same file)" : `--out ${saved.out}`}, or remove the checkpoint to export everything again`,
    );
  }
  let pageToken = options.resumeToken ?? saved?.pageToken ?? "";
  const resuming = pageToken !== "";
  if (saved !== null && options.out !== undefined) {
    // The checkpoint counts `outBytes` already in --out: a file that is gone
    // or shorter lost documents the resume would not write again (and
    // truncate() would pad it with zeros), so the export is refused.
    const held = await sizeOf(options.out, -1);
    if (held < saved.outBytes) {
      throw new CliError(
        `${options.out} ${held < 0 ? "does not exist" : `holds ${held} bytes`}, but the checkpoint ${options.checkpoint ?? ""} counts ${saved.outBytes} bytes already written there: resuming would write only the documents after them; remove the checkpoint to export everything again`,
      );
    }
    // A checkpoint is saved after its page is written, so a kill between the
    // two leaves lines the checkpoint does not count: cut them off.
    await truncate(options.out, saved.outBytes);
  }
  let outBytes = saved?.outBytes ?? (resuming && options.out !== undefined ? await sizeOf(options.out) : 0);
  // Opened once the first page has arrived, so a refused token or an unreachable
  // server leaves --out as it was (no empty file named after a failed export).
  let sink: NodeJS.WritableStream | undefined;
  const progress = createProgress(`export ${collection}`, await approximateCount(db, collection), "documents");
  let written = 0;
  // Pages this run has read: while none has, the token is the one the user
  // gave (or none), and a hint would only repeat the command that just failed.
  let pages = 0;
  try {
    do {
      if (interrupted()) throw resumeError("interrupted", collection, pageToken, written, options);
      let page;
      try {
        page = await db.services.collection.listDocuments({ collection, pageSize: options.pageSize, pageToken });
      } catch (err) {
        if (pages > 0) printResumeHint(collection, pageToken, options);
        // The server names its own field; the user gave --resume-token (or the checkpoint did).
        if (pages === 0 && resuming && err instanceof ConnectError && err.code === Code.InvalidArgument && /page_token/.test(err.rawMessage)) {
          const from = options.resumeToken !== undefined ? "--resume-token" : `the checkpoint ${options.checkpoint ?? ""}`;
          const { database } = exportSource(db, collection);
          throw new CliError(`${from} is not a token an export of ${collection} in database ${database} printed (the server says: ${err.rawMessage}); nothing was written`);
        }
        throw err;
      }
      pages++;
      sink ??= options.out === undefined ? process.stdout : await openOut(options.out, resuming);
      const text = page.documents.map((d) => exportLine(d.id, d.data ?? {}, d.fields)).join("");
      await writeAll(sink, text);
      outBytes += Buffer.byteLength(text);
      written += page.documents.length;
      progress.increment(page.documents.length);
      pageToken = page.nextPageToken;
      if (options.checkpoint !== undefined && pageToken !== "") {
        await saveCheckpoint(options.checkpoint, { ...exportSource(db, collection), pageToken, documents: (saved?.documents ?? 0) + written, outBytes, out: outName(options.out) });
      }
    } while (pageToken !== "");
  } finally {
    progress.stop();
    if (sink !== undefined && sink !== process.stdout) await closeOut(sink as WriteStream);
  }
  if (options.checkpoint !== undefined) await rm(options.checkpoint, { force: true });
  const done = `exported ${counted(written, "document")} of ${collection}${options.out === undefined ? "" : ` to ${options.out}`}`;
  if (interrupted()) throw new CliError(`${done}; the export was complete when Ctrl-C came, so there is nothing to resume`, EXIT.interrupted);
  if (options.out !== undefined) console.error(done);
  return written;
}

/** One document's line: {"id", "data"}, and "fields" when the server sent its typed form (only documents with typed values have one). */
function exportLine(id: string, data: JsonObject, fields: Readonly<Record<string, Value>>): string {
  const record = Object.keys(fields).length === 0 ? { id, data } : { id, data, fields: typedFieldsJson(fields) };
  return JSON.stringify(record) + "\n";
}

/** The error of an export stopped by Ctrl-C (exit 130), after printing how to resume it. */
function resumeError(what: string, collection: string, pageToken: string, written: number, options: ExportOptions): CliError {
  printResumeHint(collection, pageToken, options);
  return new CliError(`export ${what} after ${counted(written, "document")}${options.out === undefined ? "" : ` written to ${options.out}`}`, EXIT.interrupted);
}

function printResumeHint(collection: string, pageToken: string, options: ExportOptions): void {
  const out = options.out === undefined ? "" : ` --out ${options.out}`;
  if (pageToken === "") console.error(`impossibledb: to resume, run the export of ${collection} again from the start`);
  // The checkpoint keeps the token: the same command goes on from it.
  else if (options.checkpoint !== undefined) console.error(`impossibledb: to resume, run the same command again: impossibledb export ${collection}${out} --checkpoint ${options.checkpoint}`);
  else console.error(`impossibledb: to resume, run: impossibledb export ${collection} --resume-token ${pageToken} (with the same --out, or >> the same file)`);
}

async function approximateCount(db: BaseImpossibleDBClient, collection: string): Promise<number> {
  if (process.stderr.isTTY !== true) return 0;
  const all = await db.listCollections();
  return all.find((c) => c.name === collection)?.approximateDocumentCount ?? 0;
}

async function openOut(file: string, append: boolean): Promise<WriteStream> {
  const stream = createWriteStream(file, { flags: append ? "a" : "w" });
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (err) => reject(new CliError(`${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : err.message}`)));
  });
  return stream;
}

function closeOut(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** Writes `text` and waits until the stream has taken it (so a later token never runs ahead of the data). */
function writeAll(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === "") return Promise.resolve();
  return new Promise((resolve, reject) => stream.write(text, (err?: Error | null) => (err ? reject(err) : resolve())));
}

/** What an export reads: the collection, its database and the server, as a checkpoint records them. */
interface ExportSource {
  readonly collection: string;
  readonly database: string;
  readonly server: string;
}

function exportSource(db: BaseImpossibleDBClient, collection: string): ExportSource {
  let server = db.baseUrl;
  try {
    // One spelling for one server (http://h:1 and http://h:1/ are the same).
    server = new URL(db.baseUrl).href;
  } catch {
    // main.ts has refused a URL it cannot read; keep the text as given.
  }
  return { collection, database: db.database ?? "default", server };
}

/**
 * Refuses a checkpoint written by an export of another collection, database
 * or server, naming what it was written for and what this run asks for: its
 * page token is good only where it was issued (the server would refuse it
 * as a bad token, which says nothing of why).
 */
function assertSameSource(file: string, cp: Partial<Checkpoint>, asked: ExportSource): void {
  const differs = cp.collection !== asked.collection || (cp.database !== undefined && cp.database !== asked.database) || (cp.server !== undefined && cp.server !== asked.server);
  if (!differs) return;
  const describe = (s: Partial<ExportSource>) =>
    `collection ${s.collection}${s.database === undefined ? "" : ` in database ${s.database}`}${s.server === undefined ? "" : ` on ${s.server}`}`;
  const give = [
    cp.collection !== asked.collection ? `export ${cp.collection}` : "",
    cp.database !== undefined && cp.database !== asked.database ? `--database ${cp.database}` : "",
    cp.server !== undefined && cp.server !== asked.server ? `--url ${cp.server}` : "",
  ].filter(Boolean);
  throw new CliError(
    `${file} is the checkpoint of an export of ${describe(cp)}, and this run asks for ${describe({ collection: asked.collection, database: cp.database === undefined ? undefined : asked.database, server: cp.server === undefined ? undefined : asked.server })}: to resume it, run with ${give.join(" and ")}, or remove the checkpoint to export from the start; nothing was written`,
  );
}

async function readCheckpoint(file: string, asked: ExportSource): Promise<Checkpoint | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
  let cp: Partial<Checkpoint>;
  try {
    cp = JSON.parse(text) as Partial<Checkpoint>;
  } catch {
    throw new CliError(`${file}: not a checkpoint file (not JSON)`);
  }
  const optionalText = (v: unknown) => v === undefined || typeof v === "string";
  if (
    typeof cp.pageToken !== "string" ||
    typeof cp.collection !== "string" ||
    typeof cp.documents !== "number" ||
    typeof cp.outBytes !== "number" ||
    !optionalText(cp.out) ||
    !optionalText(cp.database) ||
    !optionalText(cp.server)
  ) {
    throw new CliError(`${file}: not a checkpoint file`);
  }
  assertSameSource(file, cp, asked);
  return cp as Checkpoint;
}

/** Replaces the checkpoint atomically: a crash leaves the old one or the new one, never half of one. */
async function saveCheckpoint(file: string, cp: Checkpoint): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(cp) + "\n");
  await rename(tmp, file);
}

/** The size of `file` in bytes, or `missing` (0 unless given) when it cannot be read. */
async function sizeOf(file: string, missing = 0): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return missing;
  }
}
