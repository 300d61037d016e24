/**
 * The SDK's entry point: one client per database, from which collections,
 * queries and transactions are made. The platform's transport (Connect-Web
 * over fetch in browsers, Connect over HTTP/1.1 or HTTP/2 in Node) is
 * chosen by the package's entry points (browser.ts, node.ts), so bundles
 * for browsers never contain Node's HTTP code.
 */
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { Collection } from "./Collection.js";
import { createRetryingTransport, type RetryingTransportOptions } from "./HttpClient.js";
import { COLLECTIONS_PAGE_SIZE_MAX, PAGES_PER_CALL_MAX, TRANSACTION_ATTEMPTS_MAX_DEFAULT } from "./limits.js";
import { checkedString, checkOptions, type OptionKinds } from "./options.js";
import { backoffMs, RETRY_OPTIONS, retryPolicy, sleep, type RetryOptions } from "./retry-policy.js";
import { createServices, type Services } from "./services.js";
import { Transaction, TRANSACTION_OPTIONS, type TransactionOptions } from "./Transaction.js";
import type { DocumentData } from "./value-codec.js";

/** Where the client connects when neither the constructor nor IMPOSSIBLEDB_URL says: `npm start`'s Worker. */
export const DEFAULT_BASE_URL = "http://127.0.0.1:8787";

/** Options of ImpossibleDBClient. */
export interface ImpossibleDBClientOptions {
  /** The Worker's URL; else IMPOSSIBLEDB_URL (where the platform has an environment), else DEFAULT_BASE_URL. */
  baseUrl?: string;
  /** Node only: "1.1", or "2" for HTTP/2; "2" for https: URLs and "1.1" otherwise when unset. */
  httpVersion?: "1.1" | "2";
  /** Headers sent with every call. */
  headers?: Record<string, string>;
  /**
   * The credential sent as `authorization: Bearer <apiKey>` with every call:
   * an API key (`idb_...`) or a JWT. Else IMPOSSIBLEDB_API_KEY where the
   * platform has an environment; none when neither is set (a server with
   * auth off). An `authorization` entry in `headers` wins.
   */
  apiKey?: string;
  /**
   * The database every call addresses: sent as the `impossibledb-database`
   * header (with any transport, `transport` included). Unset, the server
   * uses its database `default`. Create one with
   * `services.admin.createDatabase({ databaseId })`.
   */
  database?: string;
  /** Deadline of a unary call that names none, in ms. */
  timeoutMs?: number;
  /** Deadline of a server stream that names none, in ms. */
  streamTimeoutMs?: number;
  /** Retries of idempotent calls; false turns them off. */
  retry?: RetryOptions | false;
  /** Replaces the platform transport (tests, custom protocols); deadlines and retries still apply. */
  transport?: Transport;
  /** Called before each retry (logging, metrics). */
  onRetry?: RetryingTransportOptions["onRetry"];
  /**
   * How reads return typed timestamps: "date" (the default) as Dates,
   * which hold milliseconds, so the stored microseconds below a millisecond
   * are dropped (rounded down); "timestamp" as Timestamp objects, exact to
   * the microsecond (`toDate()` when a Date is needed). Writes take either.
   */
  timestamps?: "date" | "timestamp";
  /**
   * How reads return documents that hold typed values: "typed" (the
   * default) in JavaScript's types (bigint, Date, Uint8Array, GeoPoint,
   * DocumentReference; see the README's "Data types"); "json" in the JSON
   * form the server also sends (`Document.data`: integers as the nearest
   * double, timestamps as RFC 3339 text, bytes as base64, references as
   * "collection/id", geo points as { latitude, longitude }), as every read
   * was before typed values. For tools that print or export JSON.
   */
  values?: "typed" | "json";
}

/** Every option ImpossibleDBClient takes and its kind; any other key is refused (a misspelt `url` would otherwise connect elsewhere without a word). */
const CLIENT_OPTIONS = {
  baseUrl: "string",
  httpVersion: ["1.1", "2"],
  headers: "object",
  apiKey: "string",
  database: "string",
  timeoutMs: "number",
  streamTimeoutMs: "number",
  retry: "checked",
  transport: "object",
  onRetry: "function",
  timestamps: ["date", "timestamp"],
  values: ["typed", "json"],
} as const satisfies OptionKinds<ImpossibleDBClientOptions>;

/** Common names for the server's address in other clients, and what this one calls it. */
const CLIENT_OPTION_HINTS: Readonly<Record<string, string>> = { url: "baseUrl", endpoint: "baseUrl", baseURL: "baseUrl", host: "baseUrl", address: "baseUrl", key: "apiKey", token: "apiKey", timeout: "timeoutMs" };

/** One collection as listCollections reports it. */
export interface CollectionSummary {
  /** The collection's name. */
  name: string;
  /** About how many documents it holds. */
  approximateDocumentCount: number;
}

/** Options of runTransaction. */
export interface RunTransactionOptions extends TransactionOptions {
  /** Attempts of the whole transaction, the first included. */
  attemptsMax?: number;
  /** Backoff between attempts; the client's retry options when unset. */
  retry?: RetryOptions;
}

/** Every option runTransaction takes. */
const RUN_TRANSACTION_OPTIONS = { ...TRANSACTION_OPTIONS, attemptsMax: "number", retry: "checked" } as const satisfies OptionKinds<RunTransactionOptions>;

/** Builds the platform's transport. */
export type TransportFactory = (options: { baseUrl: string; httpVersion?: "1.1" | "2"; interceptors: Interceptor[] }) => Transport;

/** The client, for a given platform transport. Import ImpossibleDBClient from the package instead. */
export class BaseImpossibleDBClient {
  /** The Worker's URL this client calls. */
  readonly baseUrl: string;
  /** The database this client addresses; undefined means the server's `default`. */
  readonly database: string | undefined;
  /** The generated clients, for calls the SDK does not wrap (AdminService, explain plans, …). */
  readonly services: Services;
  private readonly retry: RetryOptions;

  /** @throws TypeError for an option this client does not know (a JavaScript caller's typo), naming it. */
  constructor(options: ImpossibleDBClientOptions, platformTransport: TransportFactory) {
    checkOptions("ImpossibleDBClient", options, CLIENT_OPTIONS, CLIENT_OPTION_HINTS);
    if (options.retry !== false) checkOptions("ImpossibleDBClient: retry", options.retry, RETRY_OPTIONS);
    this.baseUrl = options.baseUrl ?? environmentBaseUrl() ?? DEFAULT_BASE_URL;
    const apiKey = options.apiKey ?? environmentVariable("IMPOSSIBLEDB_API_KEY");
    if (apiKey !== undefined) checkApiKey(apiKey, options.apiKey !== undefined ? "ImpossibleDBClient: the option apiKey" : "ImpossibleDBClient: IMPOSSIBLEDB_API_KEY");
    const headers = { ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }), ...options.headers };
    const interceptors = Object.keys(headers).length === 0 ? [] : [withHeaders(headers)];
    const platform = options.transport ?? platformTransport({ baseUrl: this.baseUrl, httpVersion: options.httpVersion, interceptors });
    this.database = options.database;
    const inner = options.database === undefined ? platform : withDatabase(platform, options.database);
    this.retry = options.retry === false ? { attemptsMax: 1 } : (options.retry ?? {});
    const transport = createRetryingTransport(inner, {
      retry: this.retry,
      timeoutMs: options.timeoutMs,
      streamTimeoutMs: options.streamTimeoutMs,
      onRetry: options.onRetry,
    });
    this.services = createServices(transport, inner, { timestamps: options.timestamps, values: options.values });
  }

  /** A collection by name. */
  collection<T extends DocumentData = DocumentData>(name: string): Collection<T> {
    return new Collection<T>(this.services, checkedString("collection(): the name", name));
  }

  /**
   * Every collection that holds documents, in name order, with about how
   * many documents each holds (summed over shards, not a snapshot).
   */
  async listCollections(): Promise<CollectionSummary[]> {
    const out: CollectionSummary[] = [];
    let pageToken = "";
    for (let pages = 0; pages < PAGES_PER_CALL_MAX; pages++) {
      const res = await this.services.collection.listCollections({ pageSize: COLLECTIONS_PAGE_SIZE_MAX, pageToken });
      out.push(...res.collections.map((c) => ({ name: c.name, approximateDocumentCount: Number(c.approximateDocumentCount) })));
      if (res.nextPageToken === "") return out;
      pageToken = res.nextPageToken;
    }
    throw new ConnectError(`listing collections took more than ${PAGES_PER_CALL_MAX} pages`, Code.ResourceExhausted);
  }

  /** A new transaction; nothing is sent until its first read or commit. */
  createTransaction(options?: TransactionOptions): Transaction {
    return new Transaction(this.services, checkOptions("createTransaction()", options, TRANSACTION_OPTIONS));
  }

  /**
   * Runs `fn` in a transaction and commits it; when the commit (or a read)
   * fails with ABORTED because another writer got there first, waits with
   * backoff and runs `fn` again in a fresh transaction, up to attemptsMax
   * times. `fn` must therefore have no effects besides the transaction's.
   * Each retry names the attempt before it (`retryOf`), so the server gives
   * it the first attempt's priority and locks what it reads: the longer a
   * transaction has been losing, the surer it is to win.
   *
   * `fn` may call `tx.commit()` itself: that commit is the attempt's, and
   * its failure is the attempt's failure even when `fn` catches it (ABORTED
   * runs `fn` again; any other code is thrown as the commit got it). `fn`
   * may call `tx.rollback()` to apply nothing: runTransaction then resolves
   * with `fn`'s value without committing (throw from `fn` instead to make
   * runTransaction reject).
   */
  async runTransaction<R>(fn: (tx: Transaction) => Promise<R> | R, options: RunTransactionOptions = {}): Promise<R> {
    checkOptions("runTransaction()", options, RUN_TRANSACTION_OPTIONS);
    checkOptions("runTransaction(): retry", options.retry, RETRY_OPTIONS);
    const policy = retryPolicy({ ...this.retry, ...options.retry, attemptsMax: options.attemptsMax ?? TRANSACTION_ATTEMPTS_MAX_DEFAULT });
    const txOptions: TransactionOptions = { readOnly: options.readOnly, timeoutMs: options.timeoutMs, retryOf: options.retryOf };
    let previousId: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const tx = this.createTransaction(previousId === undefined ? txOptions : { ...txOptions, retryOf: previousId });
      try {
        const value = await fn(tx);
        // `fn` may have committed (or rolled back) the transaction itself:
        // that commit is the one, and its failure is this attempt's.
        await tx.finishRun();
        return value;
      } catch (err) {
        // Rolling back releases the read locks a retry took.
        await tx.rollback().catch(() => {
          // The transaction is abandoned either way; its own deadline ends it.
        });
        previousId = tx.transactionId ?? previousId;
        const error = ConnectError.from(err);
        // Anything but ABORTED is the caller's to see as it was thrown (a
        // TypeError from a refused value stays a TypeError).
        if (error.code !== Code.Aborted) throw err;
        if (attempt >= policy.attemptsMax) throw attemptsSpent(error, attempt);
        await sleep(backoffMs(policy, attempt));
      }
    }
  }
}

/**
 * The ABORTED runTransaction throws when its attempts are spent. The last
 * attempt's own message says to "retry it as a new transaction", which
 * runTransaction has just done `attempts - 1` times: this one says so, and
 * which option allows more, then gives the last attempt's message; the
 * last attempt's error is its cause. The code stays ABORTED (nothing was
 * applied), so a caller's own loop may still run it again.
 */
function attemptsSpent(last: ConnectError, attempts: number): ConnectError {
  return new ConnectError(
    `the transaction gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}, each aborted (runTransaction's attemptsMax option, ${TRANSACTION_ATTEMPTS_MAX_DEFAULT} by default, allows more); the last attempt: ${last.rawMessage}`,
    Code.Aborted,
    last.metadata,
    undefined,
    last,
  );
}

/**
 * Refuses an API key with a character an authorization header cannot carry
 * as it is (anything but visible ASCII: a newline or a space copied with
 * it): every call failed with the platform's own error, far from its cause.
 * INVALID_ARGUMENT, naming the character's kind and index, never the key (a
 * secret; errors end up in logs), as the Go and Python clients refuse it.
 */
function checkApiKey(key: string, what: string): void {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code >= 0x21 && code <= 0x7e) continue;
    const kind = code === 10 ? "a newline" : code === 13 ? "a carriage return" : code === 32 ? "a space" : code === 9 ? "a tab" : code > 0x7e ? "a non-ASCII character" : `the control character 0x${code.toString(16).padStart(2, "0")}`;
    throw new ConnectError(
      `${what} holds ${kind} at index ${i}, which an authorization header cannot carry: an API key (idb_...) or a JWT is visible ASCII only (was a newline or a space copied with it?)`,
      Code.InvalidArgument,
    );
  }
}

function environmentBaseUrl(): string | undefined {
  return environmentVariable("IMPOSSIBLEDB_URL");
}

function environmentVariable(name: string): string | undefined {
  // Browsers have no process; bundlers may leave `process` undefined.
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[name];
  return value === undefined || value === "" ? undefined : value;
}

/** The request header that names the database. */
export const DATABASE_HEADER = "impossibledb-database";

/** `transport` with the database header on every call. */
function withDatabase(transport: Transport, database: string): Transport {
  const headed = (header: HeadersInit | undefined): Headers => {
    const out = new Headers(header);
    out.set(DATABASE_HEADER, database);
    return out;
  };
  return {
    unary: (method, signal, timeoutMs, header, input, contextValues) => transport.unary(method, signal, timeoutMs, headed(header), input, contextValues),
    stream: (method, signal, timeoutMs, header, input, contextValues) => transport.stream(method, signal, timeoutMs, headed(header), input, contextValues),
  };
}

function withHeaders(headers: Record<string, string>): Interceptor {
  return (next) => (req) => {
    for (const [name, value] of Object.entries(headers)) if (!req.header.has(name)) req.header.set(name, value);
    return next(req);
  };
}
