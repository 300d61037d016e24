/**
 * The package's entry point in browsers (and any runtime with fetch but
 * without Node's http modules): Connect-Web over fetch. The Worker answers
 * CORS for the origins its CORS_ALLOWED_ORIGINS allows.
 */
import { createConnectTransport } from "@connectrpc/connect-web";
import { fetchMarkingFailures } from "./HttpClient.js";
import { BaseImpossibleDBClient, type ImpossibleDBClientOptions, type TransportFactory } from "./ImpossibleDBClient.js";

export * from "./exports.js";

/**
 * Connect-Web over fetch, whose network failures (a TypeError, before any
 * response) are marked so the retrying transport reports them as Node's
 * connection errors are: UNAVAILABLE, the outcome unknown (HttpClient.ts
 * outcomeUnknownIfCut), so reads are retried and a lost commit says so.
 * globalThis.fetch is looked up per call, as Connect-Web does (a page may
 * replace it after the client is made).
 */
const webTransport: TransportFactory = ({ baseUrl, interceptors }) =>
  createConnectTransport({ baseUrl, useBinaryFormat: true, interceptors, fetch: fetchMarkingFailures((input, init) => globalThis.fetch(input, init)) });

/** A client of one ImpossibleDB database. */
export class ImpossibleDBClient extends BaseImpossibleDBClient {
  constructor(options: ImpossibleDBClientOptions = {}) {
    super(options, webTransport);
  }
}
