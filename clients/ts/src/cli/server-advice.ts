/**
 * The server's advice in the CLI's words. The server's refusals end with
 * what to do next in the API's terms (`create one with
 * AdminService.CreateSearchIndex`, `see GetResharding`), which a CLI user
 * never calls: for the refusals a CLI user meets, the advice is cut from
 * the message and given as the CLI command that does it, the hint errors.ts
 * prints in parentheses (and as `hint` with --json). The message keeps the
 * server's words for what happened. A database that does not exist is
 * errors.ts's missingDatabase, which also drops the code from the text.
 */
import { Code, type ConnectError } from "@connectrpc/connect";

/** The server's message without its API advice, and the CLI's advice instead. */
export interface CliAdvice {
  readonly message: string;
  readonly hint: string;
}

/**
 * One refusal whose advice names an RPC: `pattern` matches the server's
 * whole message (src/search/shard-search.ts, shard-geo.ts, shard-index.ts,
 * src/services/resharding-admin.ts, src/objects/ShardManager.ts), its first
 * group is what happened, and `hint` says which command to run, from the
 * groups after it.
 */
interface AdviceRule {
  readonly codes: readonly Code[];
  readonly pattern: RegExp;
  readonly hint: (groups: readonly string[]) => string;
}

const RULES: readonly AdviceRule[] = [
  {
    // Also GetSearchIndex's NOT_FOUND, which has no advice of its own.
    codes: [Code.FailedPrecondition, Code.NotFound],
    pattern: /^(.*\bcollection ([A-Za-z0-9_-]+) has no search index)(?:; create one with( a geo_field)?.*)?$/s,
    hint: ([collection, geo]) =>
      geo === undefined
        ? `create one with \`impossibledb search-index create ${collection} --text FIELD\` (or --geo FIELD)`
        : `create one with \`impossibledb search-index create ${collection} --geo FIELD\``,
  },
  {
    codes: [Code.FailedPrecondition],
    pattern: /^(.*\bthe search index of (?:collection )?([A-Za-z0-9_-]+) is not READY yet); (?:call AdminService\.CreateSearchIndex again to finish it|finish it with CreateSearchIndex)$/s,
    hint: ([collection]) => `run the same \`impossibledb search-index create ${collection} ...\` again to finish it (\`impossibledb search-index get ${collection}\` shows its fields)`,
  },
  {
    codes: [Code.FailedPrecondition],
    pattern: /^(.*\bthe search index of ([A-Za-z0-9_-]+) has no text fields); a text search needs some \(CreateSearchIndex text_fields\)$/s,
    hint: ([collection]) => `drop it with \`impossibledb search-index drop ${collection}\`, then create it with text fields: \`impossibledb search-index create ${collection} --text FIELD\``,
  },
  {
    codes: [Code.AlreadyExists],
    pattern: /^(.*\bcollection ([A-Za-z0-9_-]+) already has a search index with another definition); delete it first \(DeleteSearchIndex\)$/s,
    hint: ([collection]) => `drop it first with \`impossibledb search-index drop ${collection}\` (\`impossibledb search-index get ${collection}\` shows it)`,
  },
  {
    codes: [Code.FailedPrecondition],
    pattern: /^(.*\bwaits while the database is being resharded); see GetResharding, and try again when it is done$/s,
    hint: () => "`impossibledb resharding` shows how it goes; try again when it is done",
  },
  {
    codes: [Code.AlreadyExists],
    pattern: /^(database ([a-z][a-z0-9-]*) is being deleted); call DeleteDatabase again to finish, then create it$/s,
    hint: ([id]) => `run \`impossibledb databases delete ${id}\` to finish deleting it, then \`impossibledb databases create ${id}\` again`,
  },
];

/** The CLI's words for `err`'s advice, or undefined when it carries none the CLI translates. */
export function cliAdvice(err: ConnectError): CliAdvice | undefined {
  for (const rule of RULES) {
    if (!rule.codes.includes(err.code)) continue;
    const m = rule.pattern.exec(err.rawMessage);
    if (m === null) continue;
    const [, message, ...groups] = m as unknown as [string, string, ...string[]];
    return { message, hint: rule.hint(groups) };
  }
  return undefined;
}
