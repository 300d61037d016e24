/**
 * The package's entry point in browsers (and any runtime with fetch but
 * without Node's http modules): Connect-Web over fetch. The Worker answers
 * CORS for the origins its CORS_ALLOWED_ORIGINS allows.
 */
import { createConnectTransport } from "@connectrpc/connect-web";
import { BaseImpossibleDBClient, type ImpossibleDBClientOptions, type TransportFactory } from "./ImpossibleDBClient.js";

export * from "./exports.js";

const webTransport: TransportFactory = ({ baseUrl, interceptors }) => createConnectTransport({ baseUrl, useBinaryFormat: true, interceptors });

/** A client of one ImpossibleDB database. */
export class ImpossibleDBClient extends BaseImpossibleDBClient {
  constructor(options: ImpossibleDBClientOptions = {}) {
    super(options, webTransport);
  }
}
