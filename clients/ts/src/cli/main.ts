#!/usr/bin/env node
/**
 * The `impossibledb` command: documents, queries, indexes, shards,
 * resharding and collections from a terminal; NDJSON/JSON/CSV import and NDJSON export.
 * The server is --url, else IMPOSSIBLEDB_URL, else http://127.0.0.1:8787; the
 * credential (API key or JWT) is --api-key, else IMPOSSIBLEDB_API_KEY; the
 * database is --database, else IMPOSSIBLEDB_DATABASE, else the server's
 * `default`.
 * Exit codes are in errors.ts (EXIT); `impossibledb help COMMAND` shows a
 * command's options.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { Command, CommanderError, Option } from "commander";
import { IndexField_Direction, Index_State } from "../gen/impossibledb/v1/admin_service_pb.js";
import { SearchIndex_State, type SearchIndex } from "../gen/impossibledb/v1/search_pb.js";
import { DEFAULT_BASE_URL } from "../ImpossibleDBClient.js";
import { ImpossibleDBClient } from "../node.js";
import type { DocumentSnapshot } from "../documents.js";
import { CliError, withCliPrefix, withoutCommanderPrefix, EXIT, reportError } from "./errors.js";
import { runExport } from "./export.js";
import { runImport } from "./import.js";
import { readStdin } from "./stdin.js";
import { firstInexactInteger, firstNumberNoDoubleHolds, inexactIntegerText, noDoubleHoldsText } from "../number-text.js";
import { addDatabaseCommands } from "./databases.js";
import { addReshardingCommands } from "./resharding.js";
import { addQueryCommand } from "./query.js";
import { colonsOutsideBackquotes, sortSpec } from "./field-specs.js";
import { IMPORT_FORMATS, type ImportFormat } from "./input.js";
import { EXPORT_PAGE_SIZE_MAX, IMPORT_BATCH_SIZE_MAX, SEARCH_FIELD_WEIGHT_MAX } from "./limits.js";
import { decimalNumber } from "./numbers.js";
import { collectionArgument, databaseFromEnvironment, databaseIdArgument, documentIdArgument, indexIdArgument, integerArgument } from "./arguments.js";
import { counted, formatTable } from "./table.js";

let baseUrl = process.env["IMPOSSIBLEDB_URL"] || DEFAULT_BASE_URL;
/** --api-key, else IMPOSSIBLEDB_API_KEY (the client reads it), else none. */
let apiKey: string | undefined;
let database = process.env["IMPOSSIBLEDB_DATABASE"] || undefined;

/**
 * The CLI prints JSON, so it reads every document in its JSON form
 * (`values: "json"`: timestamps as RFC 3339 text, integers as numbers,
 * bytes as base64), which JSON.stringify can write. Export and import keep
 * typed values exactly through their own path (export.ts, typed-fields.ts).
 */
function client(): ImpossibleDBClient {
  return new ImpossibleDBClient({ baseUrl, apiKey, database, values: "json" });
}

function parseJsonObject(text: string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${what} is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new CliError(`${what} must be a JSON object`);
  const unheld = firstNumberNoDoubleHolds(text);
  if (unheld !== null) throw new CliError(`${what}: ${noDoubleHoldsText(unheld)}; quote it to store it as a string`);
  const inexact = firstInexactInteger(text);
  if (inexact !== null) throw new CliError(`${what}: ${inexactIntegerText(inexact)}; quote it to store it as a string`);
  return value as JsonObject;
}

function documentJson(doc: DocumentSnapshot): string {
  return JSON.stringify(
    { id: doc.id, version: doc.version.toString(), createTime: doc.createTime?.toISOString(), updateTime: doc.updateTime?.toISOString(), data: doc.data },
    null,
    2,
  );
}

/** `--json` anywhere after the command asks for refusals as JSON too (errors.ts reportError). */
const jsonRequested = process.argv.slice(2).includes("--json");

function program(): Command {
  const cli = new Command("impossibledb")
    // With --json, commander's own refusals (a bad or missing argument) are
    // printed by main() as one JSON object, like every other refusal; its
    // text (and the help after it) would be a second, unreadable form.
    // Without it, they start as every other refusal does (docs/cli.md):
    // `impossibledb: ...`, not commander's `error: ...`.
    .configureOutput({
      writeErr: (text) => (jsonRequested ? undefined : process.stderr.write(text)),
      outputError: (text, write) => write(withCliPrefix(text)),
    })
    .description("Work with an ImpossibleDB database from the terminal.")
    .option("--url <url>", "the server (default: IMPOSSIBLEDB_URL, else http://127.0.0.1:8787)")
    .option("--api-key <key>", "the API key or JWT sent as authorization: Bearer (default: IMPOSSIBLEDB_API_KEY)")
    .addOption(new Option("--database <id>", "the database (default: IMPOSSIBLEDB_DATABASE, else the server's `default`)").argParser(databaseIdArgument))
    .exitOverride()
    .hook("preAction", (cmd) => {
      const { url, apiKey: key, database: chosen } = cmd.opts<{ url?: string; apiKey?: string; database?: string }>();
      if (url !== undefined) baseUrl = url;
      if (key !== undefined) apiKey = key;
      if (chosen !== undefined) database = chosen;
      // --database is checked as commander reads it; the variable is checked here, before anything is sent.
      else if (database !== undefined) databaseFromEnvironment("IMPOSSIBLEDB_DATABASE", database);
      try {
        new URL(baseUrl);
      } catch {
        throw new CliError(`not a URL: ${baseUrl}`);
      }
    });

  cli
    .command("get")
    .description("print a document as JSON")
    .argument("<collection>", "the collection", collectionArgument)
    .argument("<id>", "the document id", documentIdArgument)
    .action(async (collection: string, id: string) => {
      const doc = await client().collection(collection).get(id);
      if (doc === null) throw new CliError(`document ${collection}/${id} does not exist`, EXIT.failed);
      console.log(documentJson(doc));
    });

  cli
    .command("put")
    .description("write a document whole (create or replace); JSON from the argument or stdin")
    .argument("<collection>", "the collection", collectionArgument)
    .argument("<id>", "the document id", documentIdArgument)
    .argument("[json]", "the document's fields as a JSON object")
    .action(async (collection: string, id: string, json: string | undefined) => {
      const data = parseJsonObject(json ?? (await readStdin()), "the document");
      const doc = await client().collection(collection).put(id, data);
      console.log(documentJson(doc));
    });

  cli
    .command("add")
    .description("add a document under an id the server chooses; prints it")
    .argument("<collection>", "the collection", collectionArgument)
    .argument("[json]", "the document's fields as a JSON object")
    .action(async (collection: string, json: string | undefined) => {
      const doc = await client().collection(collection).add(parseJsonObject(json ?? (await readStdin()), "the document"));
      console.log(documentJson(doc));
    });

  cli
    .command("delete")
    .description("delete a document, or with --all every document of the collection")
    .argument("<collection>", "the collection", collectionArgument)
    .argument("[id]", "the document id", documentIdArgument)
    .option("--all", "delete every document of the collection, in steps")
    .addOption(new Option("--batch-size <n>", "with --all: documents per shard per step, 1-500").argParser(integerArgument))
    .action(async (collection: string, id: string | undefined, opts: { all?: boolean; batchSize?: number }) => {
      const coll = client().collection(collection);
      if (opts.all === true) {
        if (id !== undefined) throw new CliError("give an id or --all, not both");
        const deleted = await coll.deleteAll({ batchSize: opts.batchSize });
        console.log(`deleted ${counted(deleted, "document")} of ${collection}`);
        return;
      }
      if (id === undefined) throw new CliError("give the id of the document to delete, or --all for the whole collection");
      const existed = await coll.delete(id);
      console.log(existed ? `deleted ${collection}/${id}` : `${collection}/${id} did not exist`);
    });

  addQueryCommand(cli, client);

  const indexes = cli.command("indexes").description("list, create and drop secondary indexes");
  indexes
    .command("list")
    .argument("<collection>", "the collection", collectionArgument)
    .option("--json", "print JSON")
    .action(async (collection: string, opts: { json?: boolean }) => {
      const { indexes: list } = await client().services.admin.listIndexes({ collection });
      const plain = list.map((i) => ({
        id: i.id,
        fields: i.fields.map((f) => `${f.field}${f.direction === IndexField_Direction.DESCENDING ? ":desc" : ""}`),
        state: Index_State[i.state],
      }));
      if (opts.json === true) console.log(JSON.stringify(plain, null, 2));
      else process.stdout.write(formatTable(["id", "fields", "state"], plain.map((i) => [i.id, i.fields.join(", "), i.state ?? ""])));
    });
  indexes
    .command("create")
    .argument("<collection>", "the collection", collectionArgument)
    .argument("<field[:desc]...>", "indexed fields as FIELD, FIELD:asc or FIELD:desc, most significant first")
    .action(async (collection: string, specs: string[]) => {
      // Checked as `query --order-by` checks its specs, before anything is sent (exit 2).
      const fields = specs.map((spec) => {
        const { field, direction } = sortSpec(spec, `index field ${JSON.stringify(spec)}`);
        return { field, direction: direction === "desc" ? IndexField_Direction.DESCENDING : IndexField_Direction.ASCENDING };
      });
      const { index } = await client().services.admin.createIndex({ index: { collection, fields } });
      console.log(`created index ${index?.id} on ${collection} (${index === undefined ? "?" : Index_State[index.state]})`);
    });
  indexes
    .command("drop")
    .argument("<collection>", "the collection", collectionArgument)
    .argument("<id>", "the index id, as `indexes list` shows it", indexIdArgument)
    .action(async (collection: string, id: string) => {
      await client().services.admin.deleteIndex({ collection, id });
      console.log(`dropped index ${id} of ${collection}`);
    });

  const searchIndex = cli.command("search-index").description("create, show and drop a collection's search index (full-text and geo)");
  searchIndex
    .command("create")
    .description("create and backfill the search index; prints it when READY")
    .argument("<collection>", "the collection", collectionArgument)
    // Repeatable: `--text title:2 --text body` is `--text title:2,body` (a
    // second --text used to replace the first without a word).
    .option("--text <fields>", "comma-separated text fields, each FIELD or FIELD:WEIGHT (weight 1 by default); repeatable", (value: string, previous?: string) => (previous === undefined ? value : `${previous},${value}`))
    .option("--geo <field>", "the geo point field ({lat, lng})")
    .action(async (collection: string, opts: { text?: string; geo?: string }) => {
      if (opts.text === undefined && opts.geo === undefined) throw new CliError("give --text, --geo or both");
      if (opts.geo !== undefined && opts.geo.trim() === "") throw new CliError(`--geo ${JSON.stringify(opts.geo)}: the geo field name is empty; give the field that holds {lat, lng}, or leave --geo out`);
      const specs = opts.text === undefined ? [] : opts.text.split(",").map((spec) => spec.trim());
      // An empty name (`--text ''`, `--text title,`) is a bad argument, not a field to leave out without a word.
      if (specs.some((spec) => spec === "" || spec.startsWith(":"))) throw new CliError(`--text ${JSON.stringify(opts.text)}: a field name is empty; give FIELD or FIELD:WEIGHT, comma-separated`);
      const textFields = specs
        .map((spec) => {
          // A ":" outside backquotes is never part of a field path, so a second one (`title:2:3`) is a bad argument, not a field named `title:2` for the server to refuse.
          const colons = colonsOutsideBackquotes(spec);
          if (colons.length > 1) throw new CliError(`--text ${spec}: more than one ":"; give FIELD or FIELD:WEIGHT (quote a field name holding ":" in backquotes)`);
          const i = colons[0] ?? -1;
          const weight = i < 0 ? 1 : decimalNumber(spec.slice(i + 1).trim());
          // The server's range: 0 to SEARCH_FIELD_WEIGHT_MAX, where 0 means 1 (the default).
          if (weight === null || weight < 0 || weight > SEARCH_FIELD_WEIGHT_MAX) {
            throw new CliError(`--text ${spec}: the weight after ":" must be a number from 0 to ${SEARCH_FIELD_WEIGHT_MAX} (0 means 1)`);
          }
          return { field: i < 0 ? spec : spec.slice(0, i), weight };
        });
      const { index } = await client().services.admin.createSearchIndex({ index: { collection, textFields, geoField: opts.geo ?? "" } });
      console.log(searchIndexText(index));
    });
  searchIndex
    .command("get")
    .argument("<collection>", "the collection", collectionArgument)
    .option("--json", "print JSON")
    .action(async (collection: string, opts: { json?: boolean }) => {
      const { index } = await client().services.admin.getSearchIndex({ collection });
      if (opts.json === true) {
        console.log(JSON.stringify({ collection: index?.collection, textFields: index?.textFields.map((f) => ({ field: f.field, weight: f.weight })), geoField: index?.geoField, state: index === undefined ? undefined : SearchIndex_State[index.state], uncompactedShards: index?.uncompactedShards }, null, 2));
      } else {
        console.log(searchIndexText(index));
      }
    });
  searchIndex
    .command("drop")
    .argument("<collection>", "the collection", collectionArgument)
    .action(async (collection: string) => {
      await client().services.admin.deleteSearchIndex({ collection });
      console.log(`dropped the search index of ${collection}`);
    });

  addDatabaseCommands(cli, client);

  cli
    .command("shards")
    .description("list the shards with their statistics (requests/s: over the last minute, approximate)")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const res = await client().services.admin.listShards({});
      const rows = res.shards.map((s) => ({
        id: s.id,
        documents: Number(s.documentCount),
        dataBytes: Number(s.dataBytes),
        schemaVersion: s.schemaVersion,
        requestsPerSecond: s.requestsPerSecond,
      }));
      if (opts.json === true) console.log(JSON.stringify({ routingVersion: Number(res.routingVersion), shards: rows }, null, 2));
      else
        process.stdout.write(
          formatTable(
            ["shard", "documents", "data bytes", "requests/s", "schema"],
            rows.map((r) => [r.id, String(r.documents), String(r.dataBytes), r.requestsPerSecond.toFixed(1), String(r.schemaVersion)]),
          ),
        );
    });

  addReshardingCommands(cli, client);

  cli
    .command("collections")
    .description("list the collections that hold documents, with approximate counts")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const list = await client().listCollections();
      if (opts.json === true) console.log(JSON.stringify(list, null, 2));
      else process.stdout.write(formatTable(["collection", "documents"], list.map((c) => [c.name, String(c.approximateDocumentCount)])));
    });

  cli
    .command("export")
    .description("write a collection as NDJSON ({\"id\", \"data\"} a line, with \"fields\" when a document holds typed values) to stdout or --out")
    .argument("<collection>", "the collection", collectionArgument)
    .option("--out <file>", "write to FILE instead of stdout (appended to when resuming)")
    .option("--resume-token <token>", "continue an interrupted export from the token it printed")
    .option("--checkpoint <file>", "keep the resume token in FILE after every page; resume from it when it exists")
    .addOption(new Option("--page-size <n>", `documents per call, 1-${EXPORT_PAGE_SIZE_MAX}`).argParser(integerArgument).default(EXPORT_PAGE_SIZE_MAX))
    .action(async (collection: string, opts: { out?: string; resumeToken?: string; checkpoint?: string; pageSize: number }) => {
      for (const [flag, value] of [["--out", opts.out], ["--resume-token", opts.resumeToken], ["--checkpoint", opts.checkpoint]] as const) {
        if (value !== undefined && value.trim() === "") throw new CliError(`${flag} ${JSON.stringify(value)}: the value is empty; give one or leave ${flag} out`);
      }
      await runExport(client(), collection, opts);
    });

  cli
    .command("import")
    .description("write documents from NDJSON, a JSON array or CSV (with a header row) into a collection; a record gives \"data\" or \"fields\" (typed values), or both as export writes them (they must agree)")
    .argument("<collection>", "the collection", collectionArgument)
    .argument("<file>")
    .addOption(new Option("--format <format>", "the file's format (default: from the extension, else sniffed)").choices(IMPORT_FORMATS))
    .option("--id-column <name>", "CSV: the column that holds document ids", "id")
    .addOption(new Option("--batch-size <n>", `documents per write call, 1-${IMPORT_BATCH_SIZE_MAX}`).argParser(integerArgument).default(IMPORT_BATCH_SIZE_MAX))
    .option("--dry-run", "check the file and count its documents; write nothing")
    .action(async (collection: string, file: string, opts: { format?: ImportFormat; idColumn: string; batchSize: number; dryRun?: boolean }) => {
      if (file.trim() === "") throw new CliError(`the file argument ${JSON.stringify(file)} is empty; give the path of an NDJSON, JSON or CSV file`);
      if (opts.idColumn.trim() === "") throw new CliError(`--id-column ${JSON.stringify(opts.idColumn)}: the column name is empty; give the CSV column that holds document ids (id by default)`);
      await runImport(client(), collection, file, { ...opts, dryRun: opts.dryRun === true });
    });

  // Commander's own help command reads one name, so `help databases create`
  // showed the help of `databases`; this one follows every name given.
  cli.helpCommand(false);
  cli
    .command("help")
    .description("show the help of a command, or of a subcommand: help databases create")
    .argument("[command...]", "the command, and its subcommand")
    .action((names: string[]) => commandAt(cli, names).help());

  return cli;
}

/** The command that `names` (a command, then its subcommands) name under `root`; a CliError names the first unknown one. */
function commandAt(root: Command, names: readonly string[]): Command {
  let at = root;
  for (const [i, name] of names.entries()) {
    const next = at.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (next === undefined) {
      const known = at.commands.map((c) => c.name()).join(", ");
      throw new CliError(`help: ${[...names.slice(0, i), name].join(" ")} is not a command (${at === root ? "commands" : `subcommands of ${names.slice(0, i).join(" ")}`}: ${known})`);
    }
    at = next;
  }
  return at;
}

async function main(): Promise<number> {
  // A reader that went away (`impossibledb export c | head`) is not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(EXIT.ok);
    console.error(`impossibledb: cannot write to stdout: ${err.message}`);
    process.exit(EXIT.failed);
  });
  try {
    await program().parseAsync(process.argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.ok;
      // Without --json commander has printed the message (and the help) already.
      if (!jsonRequested) return EXIT.usage;
      return reportError(new CliError(withoutCommanderPrefix(err.message)), baseUrl, { json: true });
    }
    return reportError(err, baseUrl, { json: jsonRequested });
  }
}

// Exit once the output is out, not before: an idle HTTP connection must not
// keep the process alive, but a write to a full pipe (`query --json | jq`,
// past the pipe's 64 KiB) is queued by Node, and exiting at once dropped it.
// A write's callback runs after every write queued before it.
const code = await main();
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write("", () => resolve()))));
process.exit(code);

/** One line describing a search index. */
function searchIndexText(index: SearchIndex | undefined): string {
  if (index === undefined) return "no search index";
  const fields = index.textFields.map((f) => `${f.field}:${f.weight}`).join(", ");
  const compacting = index.uncompactedShards === 0 ? "" : `, ${index.uncompactedShards} shard${index.uncompactedShards === 1 ? "" : "s"} not compacted yet`;
  return `search index of ${index.collection}: text ${fields || "(none)"}${index.geoField === "" ? "" : `, geo ${index.geoField}`} (${SearchIndex_State[index.state]}${compacting})`;
}
