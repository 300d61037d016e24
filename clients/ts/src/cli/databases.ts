/**
 * `impossibledb databases list|create|get|delete`: the AdminService
 * database methods from a terminal. Databases address the catalog, so
 * these commands ignore --database (except as the default id of `get`).
 */
import type { Command } from "commander";
import { Database_State, type Database } from "../gen/impossibledb/v1/admin_service_pb.js";
import type { ImpossibleDBClient } from "../node.js";
import { databaseIdArgument } from "./arguments.js";
import { CliError } from "./errors.js";
import { formatTable } from "./table.js";

/** Databases per ListDatabases call (the server's largest page). */
const DATABASES_PAGE_SIZE = 1000;

/** The most pages `databases list` reads (DATABASES_MAX is 10,000 databases). */
const DATABASES_PAGES_MAX = 20;

/** A database as the CLI prints it. */
interface DatabaseRow {
  name: string;
  locationHint: string;
  jurisdiction: string;
  state: string;
  createTime: string;
}

function row(db: Database): DatabaseRow {
  return {
    name: db.name,
    locationHint: db.placement?.locationHint ?? "",
    jurisdiction: db.placement?.jurisdiction ?? "",
    state: Database_State[db.state] ?? String(db.state),
    createTime: db.createTime === undefined ? "" : new Date(Number(db.createTime.seconds) * 1000 + Math.floor(db.createTime.nanos / 1e6)).toISOString(),
  };
}

function printDatabases(list: readonly Database[], json: "one" | "all" | false): void {
  const rows = list.map(row);
  if (json !== false) console.log(JSON.stringify(json === "one" ? rows[0] : rows, null, 2));
  else process.stdout.write(formatTable(["name", "location hint", "jurisdiction", "state", "created"], rows.map((r) => [r.name, r.locationHint, r.jurisdiction, r.state, r.createTime])));
}

/** Adds the `databases` command group to `cli`; `client` makes a client of the chosen server. */
export function addDatabaseCommands(cli: Command, client: () => ImpossibleDBClient): void {
  const databases = cli.command("databases").description("list, create, show and delete databases");
  databases
    .command("list")
    .description("list the databases, in id order")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      const all: Database[] = [];
      let pageToken = "";
      for (let page = 0; page < DATABASES_PAGES_MAX; page++) {
        const res = await client().services.admin.listDatabases({ pageSize: DATABASES_PAGE_SIZE, pageToken });
        all.push(...res.databases);
        pageToken = res.nextPageToken;
        if (pageToken === "") break;
      }
      printDatabases(all, opts.json === true ? "all" : false);
    });
  databases
    .command("create")
    .description("create a database; --location-hint (wnam, enam, sam, weur, eeur, apac, oc, afr, me, or auto) or --jurisdiction (eu, fedramp, ...)")
    .argument("<id>", "1-63 characters: a lowercase letter, then lowercase letters, digits or '-'", databaseIdArgument)
    .option("--location-hint <hint>", "where its objects are created")
    .option("--jurisdiction <jurisdiction>", "the jurisdiction its objects never leave")
    .option("--json", "print JSON")
    .action(async (id: string, opts: { locationHint?: string; jurisdiction?: string; json?: boolean }) => {
      for (const [flag, value] of [["--location-hint", opts.locationHint], ["--jurisdiction", opts.jurisdiction]] as const) {
        if (value !== undefined && value.trim() === "") throw new CliError(`${flag} ${JSON.stringify(value)}: the value is empty; give one or leave ${flag} out`);
      }
      // A Durable Object takes a location hint or a jurisdiction, not both (docs/databases.md).
      if (opts.locationHint !== undefined && opts.jurisdiction !== undefined) throw new CliError("give --location-hint or --jurisdiction, not both: a database is placed by one of them");
      const { database } = await client().services.admin.createDatabase({
        databaseId: id,
        database: { placement: { locationHint: opts.locationHint ?? "", jurisdiction: opts.jurisdiction ?? "" } },
      });
      printDatabases(database === undefined ? [] : [database], opts.json === true ? "one" : false);
    });
  databases
    .command("get")
    .description("show one database with its placement and state")
    .argument("<id>", "the database id", databaseIdArgument)
    .option("--json", "print JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const { database } = await client().services.admin.getDatabase({ name: `databases/${id}` });
      printDatabases(database === undefined ? [] : [database], opts.json === true ? "one" : false);
    });
  databases
    .command("delete")
    .description("delete a database and every document in it")
    .argument("<id>", "the database id", databaseIdArgument)
    .action(async (id: string) => {
      await client().services.admin.deleteDatabase({ name: `databases/${id}` });
      console.log(`deleted database ${id}`);
    });
}
