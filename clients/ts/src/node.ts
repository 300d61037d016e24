/**
 * The package's entry point in Node: Connect over HTTP/1.1, or HTTP/2
 * (the default for https: URLs), through Node's own http modules.
 */
import { createConnectTransport } from "@connectrpc/connect-node";
import { BaseImpossibleDBClient, type ImpossibleDBClientOptions, type TransportFactory } from "./ImpossibleDBClient.js";

export * from "./exports.js";

const nodeTransport: TransportFactory = ({ baseUrl, httpVersion, interceptors }) =>
  createConnectTransport({
    baseUrl,
    httpVersion: httpVersion ?? (baseUrl.startsWith("https:") ? "2" : "1.1"),
    useBinaryFormat: true,
    interceptors,
  });

/** A client of one ImpossibleDB database. */
export class ImpossibleDBClient extends BaseImpossibleDBClient {
  constructor(options: ImpossibleDBClientOptions = {}) {
    super(options, nodeTransport);
  }
}
